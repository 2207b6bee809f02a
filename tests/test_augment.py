"""The GAN arms' glue: run keys and checkpoint lists, top-up counts, the gate over real checkpoints, the balanced set."""
import numpy as np
import pandas as pd
import pytest

from infantfer.balanced import export_balanced
from infantfer.augment import augment, read_gate_table, top_up_counts
from infantfer.gan_run import gate_checkpoints, generator_settings, read_checkpoint_list, run_key, write_checkpoint_list
from infantfer.gate import gate_run
from infantfer.io.npz import TrainingSet
from infantfer.parts import fold_seed, parse_part, part_seed
from infantfer.cgan import CGANConfig, train_cgan
from infantfer.config import resolve_config
from infantfer.demo import generate_demo

CLASSES = ["cry", "laugh", "neutral"]


@pytest.fixture(scope="module")
def demo_fold():
    import cv2

    demo = generate_demo(counts={"cry": 90, "laugh": 60, "neutral": 40}, size=32, seed=2)
    x = np.stack([cv2.cvtColor(img, cv2.COLOR_RGB2GRAY) for img in demo.images])
    return TrainingSet(x, demo.labels, demo.ids, np.full(len(x), "real"))


@pytest.fixture(scope="module")
def untrained(tmp_path_factory, demo_fold):
    """A generator after one step: the 'untrained generator' the gate must reject."""
    cfg = CGANConfig(size=16, steps=1, checkpoint_every=1, batch_size=16, g_width=16, d_width=8, z_dim=16)
    ckdir = tmp_path_factory.mktemp("untrained")
    checkpoints = train_cgan(demo_fold.x, np.searchsorted(CLASSES, demo_fold.y), 3, cfg, ckdir, threads=1)
    table = pd.DataFrame({"checkpoint": [1], "path": [str(checkpoints[-1])]})
    return table


def gate_settings(**changes):
    return {**resolve_config({"datasets": {"d": {"layout": "demo"}}})["gate"], **changes}


def test_parts_and_seeds():
    assert parse_part("r2_f13") == (2, 13) and parse_part("all") is None
    assert part_seed(5, "r1_f2") == 1007 == fold_seed(5, 1, 2) and part_seed(5, "all") == 1004
    with pytest.raises(ValueError):
        parse_part("fold3")


def test_generator_settings_leave_out_what_does_not_change_a_generator():
    cgan = resolve_config({"datasets": {"d": {"layout": "demo"}}})["cgan"]
    settings = generator_settings(cgan)
    assert "target_ratio" not in settings
    assert set(settings) <= set(CGANConfig().to_dict())


def test_run_key_changes_with_settings_and_data(demo_fold):
    s = {"steps": 10, "z_dim": 16}
    key = run_key(s, demo_fold.x, demo_fold.y)
    assert key == run_key(dict(s), demo_fold.x.copy(), demo_fold.y.copy())
    assert key != run_key({**s, "z_dim": 17}, demo_fold.x, demo_fold.y)
    assert key != run_key(s, demo_fold.x[1:], demo_fold.y[1:])
    assert key == run_key({**s, "steps": 20}, demo_fold.x, demo_fold.y)  # a longer run continues this one


def test_a_key_added_later_keeps_the_run_keys_of_runs_made_before_it(demo_fold):
    """cgan.class_norm came after GANs had been trained: at false (what they did) it leaves their
    run key, and so their checkpoints, as they were; at true it is another generator."""
    from infantfer.cgan.config import with_absent_keys
    from infantfer.gan_run import absent_means

    assert absent_means() == {"class_norm": False} == with_absent_keys({})
    before = generator_settings(resolve_config({"datasets": {"d": {"layout": "demo"}}})["cgan"])
    assert before["class_norm"] is False
    before.pop("class_norm")
    key = run_key(before, demo_fold.x, demo_fold.y)
    assert key == "c8c88f7c1437"  # what run_key gave this fold before the key existed (9cac29c)
    assert run_key({**before, "class_norm": False}, demo_fold.x, demo_fold.y) == key
    assert run_key({**before, "class_norm": True}, demo_fold.x, demo_fold.y) != key


def test_gate_sees_the_checkpoints_a_fresh_run_would_write(tmp_path):
    from pathlib import Path

    found = [(s, Path(f"step_{s:06d}.pt")) for s in (50, 100, 150, 175, 200, 250, 300)]
    kept = gate_checkpoints(found, steps=300, every=50)
    assert [s for s, _ in kept] == [50, 100, 150, 200, 250, 300]
    assert gate_checkpoints(found, steps=175, every=50)[-1] == (175, Path("step_000175.pt"))


def test_numeric_class_names_survive_the_gate_table(tmp_path, demo_fold, untrained):
    from pathlib import Path

    table = pd.DataFrame({"checkpoint": [1, 1], "class": ["0", "1"], "chosen": [True, False]})
    table.to_csv(tmp_path / "g.tsv", sep="\t", index=False)
    read = read_gate_table(tmp_path / "g.tsv")
    assert read["class"].tolist() == ["0", "1"]
    y = np.where(demo_fold.y == "cry", "0", "1")  # "0": 90 images, "1": 100
    base = TrainingSet(demo_fold.x, y, demo_fold.id, demo_fold.source)
    out = augment(base, read, untrained, ["0", "1"], 1.0, face_size=32, seed=0, id_prefix="g")
    # "0" is accepted and tops up to 100; read as the number 0 it would silently get nothing
    generated = out.y[out.source == "cgan"]
    assert (generated == "0").sum() == 10 and (generated == "1").sum() == 0


def test_missing_checkpoint_files_say_how_to_retrain(tmp_path):
    pd.DataFrame({"checkpoint": [5], "path": [str(tmp_path / "gone.pt")], "classes": ['["a", "b"]'],
                  "run_key": ["k"]}).to_csv(tmp_path / "c.tsv", sep="\t", index=False)
    with pytest.raises(FileNotFoundError, match="delete"):
        read_checkpoint_list(tmp_path / "c.tsv")


def test_top_up_counts():
    y = np.array(["cry"] * 10 + ["laugh"] * 4 + ["neutral"] * 2)
    assert top_up_counts(y, CLASSES, {"laugh", "neutral"}, 1.0) == {"cry": 0, "laugh": 6, "neutral": 8}
    assert top_up_counts(y, CLASSES, {"neutral"}, 1.0) == {"cry": 0, "laugh": 0, "neutral": 8}  # laugh rejected
    assert top_up_counts(y, CLASSES, set(CLASSES), 1.5) == {"cry": 5, "laugh": 11, "neutral": 13}


def test_gate_rejects_an_untrained_generator(demo_fold, untrained):
    decided = gate_run(demo_fold, untrained, CLASSES, gate_settings(n_draws=5), face_size=32, seed=0)
    assert not decided["passed"].any() and not decided["chosen"].any()
    assert (decided.loc[decided["js_judged"], "js_pca"] > decided.loc[decided["js_judged"], "js_real_baseline"] + 0.05).all()


def test_augment_only_accepted_classes_from_their_checkpoint(demo_fold, untrained, tmp_path):
    gate = pd.DataFrame({"checkpoint": [1, 1, 1], "class": CLASSES, "chosen": [False, True, False]})
    out = augment(demo_fold, gate, untrained, CLASSES, 1.0, face_size=32, seed=0, id_prefix="g")
    c = pd.crosstab(out.y, out.source)
    assert c.loc["laugh", "cgan"] == 30 and c.loc["cry", "cgan"] == 0 and c.loc["neutral", "cgan"] == 0
    assert (c["real"] == [90, 60, 40]).all()
    assert out.x.shape[1:] == (32, 32) and out.x.dtype == np.uint8
    assert set(out.checkpoint[out.source == "cgan"]) == {1} and (out.checkpoint[out.source == "real"] == -1).all()
    again = augment(demo_fold, gate, untrained, CLASSES, 1.0, face_size=32, seed=0, id_prefix="g")
    assert np.array_equal(out.x, again.x)  # generation is deterministic per seed
    np.savez_compressed(tmp_path / "t.npz", **out.arrays())
    loaded = TrainingSet.load(tmp_path / "t.npz")
    assert np.array_equal(loaded.x, out.x) and loaded.id.tolist() == out.id.tolist()
    manifest = export_balanced(out, tmp_path / "balanced")
    assert list(manifest.columns) == ["id", "file", "label", "source", "checkpoint"]
    assert len(manifest) == len(out.y) and (tmp_path / "balanced" / manifest["file"].iloc[-1]).is_file()
    read = pd.read_csv(tmp_path / "balanced" / "manifest.tsv", sep="\t")
    assert read.loc[read["source"] == "cgan", "checkpoint"].eq(1).all()


def test_checkpoint_list_round_trip(tmp_path, untrained):
    from pathlib import Path

    write_checkpoint_list(tmp_path / "c.tsv", [(1, Path(p)) for p in untrained["path"]], CLASSES, "abc")
    table, classes = read_checkpoint_list(tmp_path / "c.tsv")
    assert classes == CLASSES and table["checkpoint"].tolist() == [1]
