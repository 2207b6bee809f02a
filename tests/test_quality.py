"""infantfer.quality: the GAN's quality per checkpoint, measured on held-out real images."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from infantfer.cgan import CGANConfig, train_cgan
from infantfer.demo import generate_demo
from infantfer.faces import whole_image
from infantfer.io.npz import TrainingSet
from infantfer.parts import checkpoints_in
from infantfer.quality import (CLASS_COLUMNS, COLUMNS, chance_f1, heldout_texture_auc, macro_f1_of,
                               quality_tables, trivial_images)


@pytest.fixture(scope="module")
def faces():
    demo = generate_demo(counts={"cry": 40, "laugh": 30, "neutral": 20}, size=32, seed=3)
    x = np.stack([whole_image(img, size=16) for img in demo.images])
    y = np.asarray(demo.labels).astype(str)
    test = np.isin(demo.groups, np.unique(demo.groups)[::3])
    return x[~test], y[~test], x[test], y[test]


def test_chance_is_the_expected_macro_f1_of_uniform_guessing():
    assert chance_f1(np.repeat(["a", "b", "c"], 10), ["a", "b", "c"]) == pytest.approx(1 / 3)
    # 90 / 10 with two classes: F1 = 2 p r / (p + r) with r = 1/2
    expected = np.mean([2 * 0.9 * 0.5 / 1.4, 2 * 0.1 * 0.5 / 0.6])
    assert chance_f1(np.r_[["a"] * 90, ["b"] * 10], ["a", "b"]) == pytest.approx(expected)


def test_the_real_images_score_well_and_one_class_scores_nothing(faces):
    x, y, tx, ty = faces
    classes = sorted(set(y))
    assert macro_f1_of(x, y, tx, ty, classes, seed=0) > 0.6  # the demo's classes are learnable
    assert macro_f1_of(x[y == "cry"], y[y == "cry"], tx, ty, classes, seed=0) == 0.0


def test_the_no_skill_generator_draws_each_class_s_mean_face_and_spread(faces):
    x, y, _, _ = faces
    gx, gy = trivial_images(x, y, {"cry": 200, "neutral": 5}, seed=1)
    assert gx.dtype == np.uint8 and gx.shape == (205, 16, 16) and (gy == "cry").sum() == 200
    assert np.abs(gx[gy == "cry"].mean(axis=0) - x[y == "cry"].mean(axis=0)).mean() < 6  # grey levels
    again, _ = trivial_images(x, y, {"cry": 200, "neutral": 5}, seed=1)
    assert np.array_equal(gx, again)


def _tiny_gan_run(faces, tmp_path, steps: int):
    """The faces' real training set, its classes and the checkpoints of a GAN of a few steps."""
    x, y, _, _ = faces
    classes = sorted(set(y))
    real = TrainingSet(x, y, np.arange(len(y)).astype(str), np.full(len(y), "real"))
    cfg = CGANConfig(size=16, steps=steps, checkpoint_every=2, batch_size=16, g_width=8, d_width=8, z_dim=8)
    train_cgan(x, np.searchsorted(classes, y), len(classes), cfg, tmp_path, threads=1)
    found = checkpoints_in(tmp_path)
    return real, classes, pd.DataFrame({"checkpoint": [s for s, _ in found], "path": [str(p) for _, p in found]})


def test_a_run_s_table_has_a_row_per_checkpoint_with_its_baselines(faces, tmp_path):
    x, y, tx, ty = faces
    real, classes, checkpoints = _tiny_gan_run(faces, tmp_path, steps=4)
    gate = pd.DataFrame({"checkpoint": [2, 2, 4, 4], "class": ["cry", "laugh"] * 2,
                         "c2st_auc": [1.0, 0.9, 0.8, 0.7], "texture_auc": [1.0, 0.98, 0.96, 0.9],
                         "c2st_baseline": [0.61, 0.62, 0.61, 0.62], "texture_baseline": [0.51, 0.52, 0.51, 0.52],
                         "copy_share": [0.0, 0.1, 0.2, 0.0]})
    table, by_class = quality_tables(real, tx, ty, checkpoints, classes, gate, face_size=16, seed=0)
    assert list(table.columns) == COLUMNS and table["checkpoint"].tolist() == [2, 4]
    # per class: the gate's rows as they are (no neutral row in this gate table: NaN), the held-out test
    # whose mean is the table's, and the counts each side
    assert list(by_class.columns) == CLASS_COLUMNS
    assert by_class[["checkpoint", "class"]].values.tolist() == [[s, c] for s in (2, 4) for c in classes]
    assert by_class["texture_auc"].tolist()[:2] == [1.0, 0.98] and np.isnan(by_class["texture_auc"].iloc[2])
    assert by_class["c2st_baseline"].tolist()[:2] == [0.61, 0.62] and by_class["texture_baseline"].tolist()[3:5] == [0.51, 0.52]
    assert by_class["n_train"].tolist() == [int((y == c).sum()) for c in classes] * 2
    assert by_class["n_heldout"].tolist() == [int((ty == c).sum()) for c in classes] * 2
    assert by_class.groupby("checkpoint")["texture_auc_heldout"].mean().tolist() == \
        pytest.approx(table["texture_auc_heldout_mean"].tolist())
    assert table["c2st_auc_mean"].tolist() == pytest.approx([0.95, 0.75])
    assert table["texture_auc_mean"].tolist() == pytest.approx([0.99, 0.93])  # the gate's, against training images
    # a 4-step GAN draws noise: told from the held-out faces at once
    assert (table["texture_auc_heldout_mean"] > 0.9).all()
    assert table["copy_share_max"].tolist() == pytest.approx([0.1, 0.2])
    assert (table["cas_real"] > table["chance"]).all() and table["n_test"].eq(len(ty)).all()
    assert table["trivial_cas"].nunique() == 1  # the no-skill generator does not train
    assert table["cas_ratio"].tolist() == pytest.approx((table["cas"] / table["cas_real"]).tolist())
    assert table[["mia_auc_pixels", "mia_auc_features"]].notna().all().all()


def test_the_held_out_texture_test_sees_past_a_gan_that_copies(faces):
    """A GAN that hands back its training photos passes the gate's texture test against those photos
    (at or below 0.5: each held-out copy's twin sits on the other side); against the fold's held-out
    photos it scores as real photos of other babies do, far from noise, which scores about 1."""
    from infantfer.gate.two_sample import texture_auc, texture_features

    x, y, tx, ty = faces
    order = np.random.default_rng(0).permutation(len(x))  # a GAN draws in no order
    copies, copy_y = x[order], y[order]
    against_training = [texture_auc(texture_features(x[y == c]), texture_features(copies[copy_y == c]), seed=0)
                        for c in np.unique(y)]
    assert max(against_training) < 0.5
    noise = np.random.default_rng(1).integers(0, 256, size=x.shape, dtype=np.uint8)
    assert heldout_texture_auc(noise, copy_y, tx, ty, seed=0) > 0.95
    # other babies' photos: above the within-training null (these tiny classes put it at 0.2-0.4)
    assert 0.55 < heldout_texture_auc(copies, copy_y, tx, ty, seed=0) < 0.85


def test_a_class_without_held_out_photos_gets_a_row_with_none_and_no_test(faces, tmp_path):
    x, y, tx, ty = faces
    real, classes, checkpoints = _tiny_gan_run(faces, tmp_path, steps=2)
    gate = pd.DataFrame({"checkpoint": [2] * 3, "class": classes, "c2st_auc": [0.9] * 3, "copy_share": [0.0] * 3})
    held = ty != "neutral"
    table, by_class = quality_tables(real, tx[held], ty[held], checkpoints, classes, gate, face_size=16, seed=0)
    neutral = by_class.set_index("class").loc["neutral"]
    assert neutral["n_heldout"] == 0 and neutral["n_train"] == (y == "neutral").sum()
    assert np.isnan(neutral["texture_auc_heldout"]) and neutral["c2st_auc"] == 0.9
    assert table["texture_auc_heldout_mean"].iloc[0] == pytest.approx(
        by_class.loc[by_class["class"] != "neutral", "texture_auc_heldout"].mean())


def test_the_held_out_texture_test_skips_classes_too_small_and_is_nan_without_any(faces):
    x, y, tx, ty = faces
    one_each = np.array([np.flatnonzero(ty == c)[0] for c in np.unique(ty)])
    assert np.isnan(heldout_texture_auc(x, y, tx[one_each], ty[one_each], seed=0))
    # a class with too few held-out photos drops out of the mean instead of making it NaN
    keep = (ty != "neutral") | (np.cumsum(ty == "neutral") <= 1)
    both = heldout_texture_auc(x, y, tx[keep], ty[keep], seed=0)
    without = heldout_texture_auc(x[y != "neutral"], y[y != "neutral"], tx[ty != "neutral"], ty[ty != "neutral"], seed=0)
    assert both == pytest.approx(without)


def test_the_quality_figure_draws_every_arm_and_fold(tmp_path):
    from infantfer.figures import quality_figure

    rows = [{"arm": arm, "repeat": 0, "fold": f, "checkpoint": s, "cas_ratio": 0.4 + s / 2000, "trivial_cas_ratio": 0.4,
             "c2st_auc_mean": 1 - s / 4000, "copy_share_max": 0.01, "mia_auc_pixels": 0.55}
            for arm in ("cgan", "smoteenn_cgan") for f in range(3) for s in (250, 500, 750, 1000)]
    drawn = quality_figure(pd.DataFrame(rows), tmp_path / "q.png", max_copy_share=0.25)
    assert drawn.placeholder is None and (tmp_path / "q.png").stat().st_size > 10_000


def _curve(arm: str, aucs: list[float], cas: list[float], folds: int = 2, spread: float = 0.01) -> pd.DataFrame:
    """A quality table: checkpoints every 250 steps, each fold offset by +-spread."""
    steps = [250 * (i + 1) for i in range(len(aucs))]
    return pd.DataFrame([{"arm": arm, "repeat": 0, "fold": f, "checkpoint": s, "c2st_auc_mean": a + spread * f,
                          "cas_ratio": c - spread * f} for f in range(folds) for s, a, c in zip(steps, aucs, cas)])


def test_the_trend_compares_the_last_checkpoint_with_two_thirds_of_the_run():
    from infantfer.quality import training_trend

    rising = _curve("cgan", [1.0, 0.98, 0.95, 0.92, 0.90, 0.88, 0.86, 0.84, 0.82, 0.81, 0.80, 0.79],
                    [0.4] * 6 + [0.6, 0.65, 0.7, 0.7, 0.72, 0.75])
    trend = training_trend(rising).set_index("arm")
    assert trend.loc["cgan", "from_step"] == 2000 and trend.loc["cgan", "to_step"] == 3000
    assert trend.loc["cgan", "auc_from"] == pytest.approx(0.845) and trend.loc["cgan", "auc_to"] == pytest.approx(0.795)
    assert trend.loc["cgan", "cas_to"] == pytest.approx(0.745)
    assert trend.loc["cgan", "trend"] == "improving"


@pytest.mark.parametrize("aucs, cas, spread, expected", [
    ([1.0, 0.9, 0.8, 0.75, 0.76, 0.75], [0.5, 0.8, 0.85, 0.85, 0.84, 0.85], 0.01, "levelled"),
    ([1.0, 0.99, 0.99, 0.99, 0.98, 0.97], [0.3, 0.4, 0.5, 0.55, 0.6, 0.7], 0.01, "far"),  # AUC near 1: not started
    ([1.0, 0.9, 0.8, 0.75, 0.8, 0.85], [0.5, 0.8, 0.85, 0.85, 0.8, 0.7], 0.01, "worse"),
    ([1.0, 0.9, 0.8, 0.75, 0.8, 0.85], [0.5, 0.6, 0.7, 0.7, 0.8, 0.9], 0.01, "mixed"),  # AUC worse, CAS better
    ([1.0, 0.7, 0.6, 0.55, 0.5, 0.45], [0.5, 0.8, 0.85, 0.85, 0.84, 0.85], 0.01, "levelled"),  # AUC below 0.6: real
])
def test_the_trend_tells_far_worse_mixed_and_noise_from_improvement(aucs, cas, spread, expected):
    from infantfer.quality import training_trend

    assert training_trend(_curve("cgan", aucs, cas, folds=3, spread=spread))["trend"].tolist() == [expected]


def test_a_mean_change_smaller_than_the_folds_disagreement_is_no_trend():
    from infantfer.quality import training_trend

    table = _curve("cgan", [0.8, 0.8, 0.8], [0.6, 0.6, 0.6], folds=3, spread=0.0)
    last = table["checkpoint"] == 750
    table.loc[last, "cas_ratio"] += np.array([0.4, -0.2, 0.1])  # mean +0.1, standard error 0.17
    assert training_trend(table)["trend"].tolist() == ["levelled"]
    table.loc[last, "cas_ratio"] += np.array([-0.3, 0.3, 0.0])  # +0.1 in every fold
    assert training_trend(table)["trend"].tolist() == ["improving"]


def test_no_trend_without_an_earlier_checkpoint_or_with_no_cas():
    from infantfer.quality import training_trend

    assert training_trend(_curve("cgan", [1.0], [0.5])).empty
    assert training_trend(_curve("cgan", [1.0, 0.9, 0.8, 0.7], [float("nan")] * 4)).empty


def test_the_answer_tells_whether_more_steps_would_help():
    from infantfer.quality import training_trend
    from infantfer.report.answer import gan_trend_sentence

    rising = _curve("cgan", [1.0, 0.99, 0.97, 0.94, 0.93, 0.90], [0.3, 0.4, 0.5, 0.56, 0.6, 0.72], spread=0.02)
    flat = _curve("smoteenn_cgan", [1.0, 0.8, 0.75, 0.74, 0.76, 0.74], [0.5, 0.8, 0.85, 0.86, 0.84, 0.86],
                  spread=0.02)  # fold means 0.01 off the listed values: no rounding knife edge
    text = gan_trend_sentence(training_trend(pd.concat([rising, flat])))
    assert ("the cgan arm's GANs were still improving when training stopped (from step 1,000 to 1,500 the mean "
            "two-sample AUC on pixels went 0.95 -> 0.91 and the CAS ratio 0.55 -> 0.71): more steps (cgan.steps) may make "
            "them better") in text
    assert ("the smoteenn_cgan arm's GANs had levelled off (from step 1,000 to 1,500 the mean two-sample AUC on pixels went "
            "0.75 -> 0.75 and the CAS ratio 0.85 -> 0.85): more steps are unlikely to help") in text
    assert gan_trend_sentence(training_trend(_curve("cgan", [1.0], [0.5]))) is None
    assert "texture" not in text  # tables from before the texture test: the clause is left out


def test_the_answer_says_how_far_from_real_the_texture_test_puts_the_last_checkpoint():
    from infantfer.quality import training_trend
    from infantfer.report.answer import gan_trend_sentence

    curve = _curve("cgan", [1.0, 0.99, 0.97, 0.94, 0.93, 0.90], [0.3, 0.4, 0.5, 0.56, 0.6, 0.72], spread=0.02)
    curve["texture_auc_mean"] = 1.0
    curve.loc[curve["checkpoint"] == 1500, "texture_auc_mean"] = [0.97, 0.99]  # folds 0 and 1
    text = gan_trend_sentence(training_trend(curve))
    assert ("-> 0.71; at the last checkpoint their images are told from their real training images at AUC 0.98 by "
            "local edge and texture features (0.5: not told apart)): more steps (cgan.steps) may make them better") in text
