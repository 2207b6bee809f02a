"""The GAN quality gate (infantfer.gate) on the demo faces: what it accepts and what it rejects.

Real data: the demo set (cry 240 / laugh 200 / neutral 200), grey 32x32, split by baby into a
"training fold" (the gate's reference) and "held-back" real images of other babies, which stand in
for a perfect generator; blurred and down-up-sampled copies of them stand in for a blurry one
(sharpness and C2ST tests, at 32 and 24 px). The measured values are printed to the terminal
(capsys.disabled).
"""
from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon

from infantfer import gate
from infantfer.demo import generate_demo

SIZE = 32
SHOW = ["class", "n_real", "n_generated", "js_pca", "js_real_baseline", "js_pixels",
        "label_agreement", "real_recall", "copy_share", "js_judged", "passed"]


def _grey(images: np.ndarray, size: int = SIZE) -> np.ndarray:
    return np.stack([
        cv2.resize(cv2.cvtColor(im, cv2.COLOR_RGB2GRAY), (size, size), interpolation=cv2.INTER_AREA)
        for im in images
    ])


@pytest.fixture(scope="module")
def demo_set():
    return generate_demo(counts={"cry": 240, "laugh": 200, "neutral": 200}, seed=0)


@pytest.fixture(scope="module")
def data(demo_set):
    demo = demo_set
    x = _grey(demo.images)
    held = np.isin(demo.groups, np.unique(demo.groups)[1::2])  # every other baby held back
    return dict(x=x[~held], y=demo.labels[~held], g=demo.groups[~held], xh=x[held], yh=demo.labels[held])


@pytest.fixture(scope="module")
def ref(data):
    return gate.fit_reference(data["x"], data["y"], gate.GateSettings())


def _show(capsys, name: str, table: pd.DataFrame) -> None:
    with capsys.disabled():
        print(f"\n[{name}]\n" + table[SHOW].round(3).to_string(index=False))


def _generators(data, classes) -> dict[str, dict[str, np.ndarray]]:
    x, y, xh, yh = data["x"], data["y"], data["xh"], data["yh"]
    rng = np.random.default_rng(1)
    n = 100
    out = {
        "real held-back": {c: xh[yh == c] for c in classes},
        # an untrained generator
        "noise": {c: rng.integers(0, 256, (n, SIZE, SIZE), dtype=np.uint8) for c in classes},
        "mean face + noise": {
            c: np.clip(x[y == c].mean(0) + rng.normal(0, 25, (n, SIZE, SIZE)), 0, 255).astype(np.uint8)
            for c in classes
        },
        # mode collapse: 3 training images per class, repeated, with tiny noise
        "collapsed": {
            c: np.clip(np.resize(x[y == c][:3], (n, SIZE, SIZE)) + rng.normal(0, 2, (n, SIZE, SIZE)), 0, 255)
            for c in classes
        },
        # a generator that ignores its label: real faces of the next class presented as c
        "label-swapped": {c: xh[yh == classes[(i + 1) % len(classes)]] for i, c in enumerate(classes)},
    }
    return out


@pytest.fixture(scope="module")
def scored(data, ref):
    return {k: gate.score_checkpoint(ref, g) for k, g in _generators(data, ref.classes).items()}


# --------------------------------------------------------------------------- JS helper
def test_js_divergence_matches_scipy_squared_and_is_bounded():
    p, q = np.array([0.5, 0.5]), np.array([1.0, 0.0])
    # by hand: H(M) - (H(P) + H(Q)) / 2 with M = (0.75, 0.25), base 2
    h = lambda v: -sum(t * np.log2(t) for t in v if t > 0)  # noqa: E731
    by_hand = h([0.75, 0.25]) - (h(p) + h(q)) / 2
    assert gate.js_divergence(p, q) == pytest.approx(by_hand, abs=1e-12)
    assert gate.js_divergence(p, q) == pytest.approx(jensenshannon(p, q, base=2) ** 2, abs=1e-12)
    assert gate.js_divergence([3, 0], [0, 7]) == pytest.approx(1.0)  # disjoint; counts are fine
    assert gate.js_divergence([2, 5, 1], [4, 10, 2]) == pytest.approx(0.0, abs=1e-12)  # same shape
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 20, (50, 10)), rng.integers(0, 20, (50, 10))
    a[:, 0] += 1  # no empty histogram
    b[:, 0] += 1
    d = gate.js_divergence(a, b, axis=1)
    assert d.shape == (50,) and np.all((d >= 0) & (d <= 1))
    np.testing.assert_allclose(d, jensenshannon(a, b, base=2, axis=1) ** 2)


def test_out_of_range_values_are_clipped_into_the_outer_bins():
    z_real = np.array([[0.0], [1.0], [2.0], [10.0]])
    edges = gate.bin_edges(z_real, 5)
    np.testing.assert_allclose(edges[0], [0, 2, 4, 6, 8, 10])
    idx = gate.bin_index(np.array([[-100.0], [0.0], [5.0], [10.0], [1e9]]), edges)
    assert idx[:, 0].tolist() == [0, 0, 2, 4, 4]
    counts = gate.component_counts(idx, 5)
    assert counts.sum() == 5  # nothing lost


def test_half_size():
    assert [gate.half_size(n) for n in (0, 1, 2, 3, 100, 101)] == [1, 1, 1, 1, 50, 50]


def test_settings_from_dict_and_guards(data, ref):
    assert gate.as_settings({"js_margin": 0.1}).js_margin == 0.1
    assert gate.as_settings(None) == gate.GateSettings()
    with pytest.raises(ValueError, match="unknown"):
        gate.as_settings({"margin": 0.1})
    with pytest.raises(ValueError, match="differ"):
        gate.score_checkpoint(ref, {"cry": data["xh"][:5]}, {"bins": 20})
    with pytest.raises(ValueError, match="no real images"):
        gate.score_checkpoint(ref, {"sad": data["xh"][:5]})
    with pytest.raises(ValueError, match="scaled"):
        gate.score_checkpoint(ref, {"cry": data["xh"][:5] / 255.0})
    with pytest.raises(ValueError, match="images are"):
        gate.score_checkpoint(ref, {"cry": np.zeros((5, 16, 16), np.uint8)})


# --------------------------------------------------------------------------- the cases
def test_accepts_real_held_back_images(scored, capsys):
    t = scored["real held-back"]
    _show(capsys, "real held-back", t)
    assert list(t.columns) == gate.COLUMNS
    assert t["js_judged"].all() and t["passed"].all()
    assert (t["copy_share"] < 0.05).all()


@pytest.mark.parametrize("case", ["noise", "mean face + noise"])
def test_rejects_an_untrained_generator_on_js(scored, case, capsys):
    t = scored[case]
    _show(capsys, case, t)
    assert not t["passed"].any()
    assert (t["js_pca"] > t["js_real_baseline"] + 0.05 + 0.2).all()  # far off, not borderline
    if case == "noise":
        assert (t["js_pixels"] > scored["real held-back"]["js_pixels"].max()).all()


def test_rejects_a_collapsed_generator_on_js(scored, capsys):
    t = scored["collapsed"]
    _show(capsys, "collapsed", t)
    assert not t["passed"].any()
    assert (t["js_pca"] > t["js_real_baseline"] + 0.05).all()
    assert (t["copy_share"] > 0.95).all()  # near copies of training images


def test_rejects_label_swapping_generator_on_fidelity(scored, capsys):
    t = scored["label-swapped"]
    _show(capsys, "label-swapped", t)
    assert not t["passed"].any()
    assert (t["label_agreement"] < t["real_recall"] - 0.15).all()
    # JS is blind to it: real faces of another class look like real faces (cry: passes JS)
    assert (t["js_pca"] <= t["js_real_baseline"] + 0.05).any()


def test_copy_share_exact_copies_vs_held_back(data, ref, scored):
    x, y = data["x"], data["y"]
    t = gate.score_checkpoint(ref, {c: x[y == c] for c in ref.classes})
    assert (t["copy_share"] == 1.0).all()
    assert (scored["real held-back"]["copy_share"] <= 0.02).all()


def test_small_class_is_judged_by_fidelity_alone(data, capsys):
    x, y, xh, yh = data["x"], data["y"], data["xh"], data["yh"]
    keep = np.r_[np.flatnonzero(y != "neutral"), np.flatnonzero(y == "neutral")[:12]]
    ref = gate.fit_reference(x[keep], y[keep])
    assert ref.n_real["neutral"] == 12 < ref.settings.min_images
    rng = np.random.default_rng(2)
    cases = {
        "12 neutral: held-back": xh[yh == "neutral"],
        "12 neutral: swapped": xh[yh == "cry"],
        "12 neutral: copies": np.resize(x[keep][y[keep] == "neutral"], (24, SIZE, SIZE)),
        "12 neutral: noise": rng.integers(0, 256, (24, SIZE, SIZE), dtype=np.uint8),
    }
    for name, gen in cases.items():
        t = gate.score_checkpoint(ref, {"neutral": gen})
        _show(capsys, name, t)
        r = t.iloc[0]
        assert not r["js_judged"] and np.isfinite(r["js_pca"])  # reported, not judged
        # fidelity decides, and copies of the training images never pass (privacy.max_copy_share)
        assert r["passed"] == ((r["label_agreement"] >= r["real_recall"] - 0.15) and r["copy_share"] <= 0.25)
        assert r["copy_ok"] == (name != "12 neutral: copies")

    # same reference and images, only min_images differs: the collapsed generator fails on JS
    # when judged and passes on fidelity alone when not
    full = gate.fit_reference(x, y)
    three = np.resize(x[y == "cry"][:3], (70, SIZE, SIZE))
    gen = {"cry": np.clip(three + rng.normal(0, 2, three.shape), 0, 255)}
    judged = gate.score_checkpoint(full, gen, {"max_copy_share": None}).iloc[0]  # copies: reported only
    unjudged = gate.score_checkpoint(full, gen, {"min_images": 10_000, "max_copy_share": None}).iloc[0]
    assert judged["js_judged"] and not judged["passed"]
    assert not unjudged["js_judged"] and unjudged["passed"]
    assert judged["js_pca"] == unjudged["js_pca"]
    # with the default limit the noised copies never pass, judged by JS or not
    default = gate.score_checkpoint(full, gen, {"min_images": 10_000}).iloc[0]
    assert default["copy_share"] == 1.0 and not default["copy_ok"] and not default["passed"]


# --------------------------------------------------------------------------- across checkpoints
def test_choose_on_scored_checkpoints(scored):
    table = pd.concat([
        scored["noise"].assign(checkpoint=1000),
        scored["real held-back"].assign(checkpoint=2000),
        scored["collapsed"].assign(checkpoint=3000),
    ])
    out = gate.choose(table, gate.GateSettings())
    assert out.index.equals(table.index)  # repeated index labels survive
    chosen = out[out["chosen"]]
    assert sorted(chosen["class"]) == ["cry", "laugh", "neutral"]
    assert (chosen["checkpoint"] == 2000).all()
    assert "accepted" not in out.columns  # one column says which checkpoint is used


def test_choose_picks_the_latest_passing_checkpoint_and_rejects_never_passing(caplog):
    rows = [
        # class, checkpoint, js_pca, label_agreement, js_judged, passed
        ("cry", 1, 0.05, 0.9, True, False),
        ("cry", 2, 0.09, 0.9, True, True),
        ("cry", 3, 0.07, 0.8, True, True),  # lowest JS among passing: not chosen any more
        ("cry", 4, 0.08, 0.95, True, True),  # <- the latest passing
        ("cry", 5, 0.30, 0.95, True, False),
        ("laugh", 1, 0.50, 0.9, True, False),
        ("laugh", 2, 0.40, 0.9, True, False),  # never passes
        ("neutral", 1, 0.60, 0.7, False, True),
        ("neutral", 3, 0.90, 0.9, False, True),  # <- JS not judged: the latest passing too
        ("neutral", 4, 0.10, 0.3, False, False),
    ]
    table = pd.DataFrame(rows, columns=["class", "checkpoint", "js_pca", "label_agreement", "js_judged", "passed"])
    with caplog.at_level("WARNING", logger="infantfer.gate"):
        out = gate.choose(table)
    chosen = out[out["chosen"]].set_index("class")["checkpoint"].to_dict()
    assert chosen == {"cry": 4, "neutral": 3}
    assert not out.loc[out["class"] == "laugh", "chosen"].any()
    assert out.groupby("class")["chosen"].sum().max() == 1
    assert "laugh" in caplog.text


def test_choose_does_not_prefer_an_early_checkpoint_that_a_two_sample_test_tells_from_real():
    """The measured case of issue I (a real infant set, 1,000 steps): the lowest-JS rule chose step
    400, whose images a two-sample test told from real at AUC 0.985-0.999, over step 1,000's at
    0.66-0.80. Both passed; the lowest of noisy JS values is biased low (the winner's curse)."""
    rows = [(step, js, auc, True) for step, js, auc in
            [(200, 0.071, 0.999, ), (400, 0.052, 0.995), (600, 0.066, 0.97), (800, 0.064, 0.86), (1000, 0.061, 0.72)]]
    table = pd.DataFrame([("cry", *r) for r in rows], columns=["class", "checkpoint", "js_pca", "c2st_auc", "passed"])
    table["js_judged"] = True
    chosen = gate.choose(table).loc[lambda d: d["chosen"]]
    assert chosen["checkpoint"].tolist() == [1000]
    assert chosen["c2st_auc"].iloc[0] == table["c2st_auc"].min()


# ------------------------------------------------------------------------------- noise (issue I)
DEMO_NEUTRAL = Path(__file__).parent / "data" / "demo_neutral_gan_sets.npz"


@pytest.fixture(scope="module")
def demo_neutral():
    """The demo's three folds of the time (now config/quick.yaml's; real training images) and the
    neutral images the gate accepted on each before the gate was two-sided (16 px GANs of 1,000
    steps, seed 0, saved from a run): noise-textured blobs the two-sample test told from real at
    AUC 1.0."""
    with np.load(DEMO_NEUTRAL) as z:
        return [{"x": z[f"real_x_f{f}"], "y": z[f"real_y_f{f}"], "g": z[f"real_group_f{f}"],
                 "neutral": z[f"gan_neutral_f{f}"]} for f in range(3)]


def _neutral_row(fold, generated):
    ref = gate.fit_reference(fold["x"], fold["y"], groups=fold["g"])
    return gate.score_checkpoint(ref, {"neutral": generated}).iloc[0]


@pytest.mark.parametrize("f", [0, 1, 2])
def test_the_demo_s_noisy_neutral_sets_are_rejected(demo_neutral, f):
    row = _neutral_row(demo_neutral[f], demo_neutral[f]["neutral"])
    assert not row["js_judged"]  # 13-14 real neutral images: below min_images, JS does not judge
    assert row["noise_ratio"] > row["noise_ceiling"] + 0.1, row[["noise_ratio", "noise_ceiling"]]
    assert not row["sharpness_ok"] and not row["passed"]


@pytest.mark.parametrize("cls", ["cry", "laugh", "neutral"])
def test_real_images_with_noise_of_sd_8_are_rejected_and_held_back_real_pass(data, cls):
    """Real images held back from the fold pass; the same images with Gaussian noise of sd 8
    grey levels (invisible at a glance) fail, small classes too."""
    ref = gate.fit_reference(data["x"], data["y"])
    held = data["xh"][data["yh"] == cls]
    noisy = np.clip(held + np.random.default_rng(0).normal(0, 8, held.shape), 0, 255).astype(np.uint8)
    scored = gate.score_checkpoint(ref, {cls: held}), gate.score_checkpoint(ref, {cls: noisy})
    clean, noise = (t.iloc[0] for t in scored)
    assert clean["sharpness_ok"] and clean["noise_ratio"] <= clean["noise_ceiling"] + 0.1
    assert not noise["sharpness_ok"] and not noise["passed"]
    few = gate.score_checkpoint(gate.fit_reference(data["x"], data["y"], {"min_images": 10_000}), {cls: noisy})
    assert not few.iloc[0]["js_judged"] and not few.iloc[0]["passed"]  # below min_images: still rejected


def test_noise_energy_does_not_depend_on_contrast():
    x = np.random.default_rng(1).integers(60, 120, (4, 16, 16)).astype(float)
    assert np.allclose(gate.noise_energy(x), gate.noise_energy(2 * x - 50))
    assert gate.noise_ceiling([]) == gate.NOISE_CEILING_RANGE[1]


# --------------------------------------------------------------------------- determinism, speed
def test_deterministic_given_seed(data, ref, scored):
    gen = _generators(data, ref.classes)["real held-back"]
    again = gate.score_checkpoint(gate.fit_reference(data["x"], data["y"]), gen)
    pd.testing.assert_frame_equal(again, scored["real held-back"])
    other = gate.score_checkpoint(gate.fit_reference(data["x"], data["y"], {"seed": 1}), gen, {"seed": 1})
    assert not np.allclose(other["js_real_baseline"], again["js_real_baseline"])


def test_grouped_recall_option(data):
    ref = gate.fit_reference(data["x"], data["y"], groups=data["g"])
    assert all(0.5 < r <= 1 for r in ref.real_recall.values())


def test_tiny_fold_still_scores():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 256, (9, 8, 8), dtype=np.uint8)
    y = np.array(["cry"] * 5 + ["laugh"] * 3 + ["neutral"])
    ref = gate.fit_reference(x, y)
    t = gate.score_checkpoint(ref, {"cry": x[:2], "neutral": x[8:]})
    assert t["class"].tolist() == ["cry", "neutral"]
    assert not t["js_judged"].any()
    assert np.isnan(t.loc[t["class"] == "neutral", "js_real_baseline"]).all()  # 1 image: no halves
    t0 = gate.score_checkpoint(ref, {"laugh": np.zeros((0, 8, 8), np.uint8)})
    assert not t0["passed"].any() and t0["n_generated"].tolist() == [0]


# --------------------------------------------------------------------------- sharpness, C2ST, criteria
SHOW_NEW = ["class", "n_real", "n_generated", "js_pca", "js_real_baseline", "label_agreement", "real_recall",
            "sharpness_ratio", "sharpness_baseline", "c2st_auc", "c2st_baseline",
            "js_ok", "fidelity_ok", "sharpness_ok", "c2st_ok", "passed"]


def _show_new(capsys, name: str, table: pd.DataFrame) -> None:
    with capsys.disabled():
        print(f"\n[{name}]\n" + table[SHOW_NEW].round(3).to_string(index=False))


def _blur(x: np.ndarray, sigma: float) -> np.ndarray:
    return np.stack([cv2.GaussianBlur(im, (0, 0), sigma) for im in x])


def _down_up(x: np.ndarray) -> np.ndarray:
    s = x.shape[1]
    return np.stack([
        cv2.resize(cv2.resize(im, (s // 2, s // 2), interpolation=cv2.INTER_AREA), (s, s),
                   interpolation=cv2.INTER_LINEAR)
        for im in x
    ])


def test_columns_and_criteria_settings():
    assert gate.COLUMNS == [
        "class", "n_real", "n_generated", "js_pca", "js_pixels", "js_real_baseline", "js_judged",
        "label_agreement", "real_recall", "copy_share", "copy_share_pixels", "copy_share_features",
        "sharpness_ratio", "sharpness_baseline", "noise_ratio", "noise_ceiling", "c2st_auc", "c2st_baseline",
        "texture_auc", "texture_baseline", "js_ok", "fidelity_ok", "sharpness_ok", "c2st_ok", "copy_ok", "passed",
    ]
    assert gate.GateSettings().max_copy_share == 0.25
    default = gate.GateSettings()
    assert default.criteria == ("js", "fidelity", "sharpness")
    assert (default.sharpness_margin, default.c2st_margin) == (0.1, 0.1)
    # a YAML list becomes a tuple (hashable, comparable), duplicates dropped; one name is fine too
    s = gate.as_settings({"criteria": ["c2st", "js", "c2st"], "sharpness_margin": 0.2})
    assert s.criteria == ("c2st", "js") and s.sharpness_margin == 0.2
    assert gate.as_settings({"criteria": "js"}).criteria == ("js",)
    assert gate.as_settings({"criteria": ["js", "fidelity", "sharpness"]}) == default
    with pytest.raises(ValueError, match=r"unknown \['blur'\]"):
        gate.as_settings({"criteria": ["js", "blur"]})
    with pytest.raises(ValueError, match="empty"):
        gate.as_settings({"criteria": []})
    with pytest.raises(ValueError, match="criteria"):
        gate.as_settings({"criteria": 3})
    with pytest.raises(ValueError, match="margins"):
        gate.as_settings({"c2st_margin": -0.1})


def test_gradient_energy_and_ratio_helpers():
    a = 200.0
    assert gate.gradient_energy(np.full((2, 6, 6), 77, np.uint8)).tolist() == [0.0, 0.0]
    checker = (np.indices((6, 6)).sum(axis=0) % 2) * a  # one-pixel checkerboard: every step is a
    assert gate.gradient_energy(checker) == pytest.approx([a])
    stripes = (np.arange(6)[:, None] % 2 * np.ones((1, 6))) * a  # rows alternate: dx 0, dy a
    assert gate.gradient_energy(stripes) == pytest.approx([a / 2])
    blocks = np.kron((np.indices((2, 2)).sum(axis=0) % 2), np.ones((2, 2))) * a  # 2x2 blocks, 4x4
    assert gate.gradient_energy(blocks) == pytest.approx([a / 3])  # 1 step in 3 per row and column
    # uint8 input: 0 -> 255 counts 255, no wrap-around
    assert gate.gradient_energy(np.array([[[0, 255]]], np.uint8)) == pytest.approx([127.5])

    rng = np.random.default_rng(0)
    g, r = rng.random((7, 8, 8)) * 100, rng.random((5, 8, 8)) * 50
    eg, er = gate.gradient_energy(g), gate.gradient_energy(r)
    np.testing.assert_allclose(gate.gradient_energy(3 * g), 3 * eg)  # linear in contrast
    ratio = gate.energy_ratio(eg, er)
    assert ratio == pytest.approx(eg.mean() / er.mean())
    assert gate.energy_ratio(gate.gradient_energy(0.5 * g), gate.gradient_energy(0.5 * r)) == pytest.approx(ratio)
    assert gate.energy_ratio(np.r_[eg, eg, eg], er) == pytest.approx(ratio)  # sample size does not matter
    assert gate.energy_ratio(er, eg) == pytest.approx(1 / ratio)
    assert gate.energy_ratio([0.0], [0.0]) == 1.0 and gate.energy_ratio([1.0], [0.0]) == np.inf

    lo, hi = gate.SHARPNESS_BASELINE_RANGE
    assert gate.sharpness_baseline(np.linspace(0.9, 1.1, 21)) == pytest.approx(0.91)  # 5th percentile
    assert gate.sharpness_baseline([0.3, 0.5, 0.6]) == lo  # tiny halves: clipped up
    assert gate.sharpness_baseline([1.2, 1.3, np.inf]) == hi  # never asks for sharper than real
    assert gate.sharpness_baseline([np.nan, np.nan]) == lo  # one image: no halves


def test_c2st_auc_helper():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, (60, 40)), rng.normal(0, 1, (60, 40))
    assert abs(gate.c2st_auc(a, b) - 0.5) < 0.15
    assert gate.c2st_auc(a, b + 1.5) > 0.95  # a shift in every feature
    assert gate.c2st_auc(a, b, seed=3) == gate.c2st_auc(a, b, seed=3)
    assert np.isnan(gate.c2st_auc(a[:2], b))  # 3 folds need 3 images a side


def test_js_and_fidelity_criteria_reproduce_the_previous_gate(data, ref, scored):
    # ("js", "fidelity") is the gate as it was: the same numbers and the same rule
    previous = {"real held-back": True, "noise": False, "mean face + noise": False, "collapsed": False,
                "label-swapped": False}
    for case, gen in _generators(data, ref.classes).items():
        t = gate.score_checkpoint(ref, gen, {"criteria": ["js", "fidelity"]})
        rule = (t["label_agreement"] >= t["real_recall"] - 0.15) & (
            (t["js_pca"] <= t["js_real_baseline"] + 0.05) | ~t["js_judged"])
        assert t["passed"].tolist() == rule.tolist() == [previous[case]] * 3, case
        pd.testing.assert_frame_equal(t.drop(columns="passed"), scored[case].drop(columns="passed"))
        assert (scored[case]["passed"] == t["passed"]).all()  # sharpness changes none of these
    # ("js",) alone: the published gate; a class JS cannot judge then passes nowhere
    t = gate.score_checkpoint(ref, _generators(data, ref.classes)["label-swapped"], {"criteria": ["js"]})
    assert t["passed"].tolist() == t["js_ok"].tolist()
    assert not gate.score_checkpoint(ref, {"cry": data["xh"][:40]}, {"criteria": ["js"], "min_images": 10_000})[
        "passed"].any()


@pytest.fixture(scope="module", params=[32, 24], ids=lambda s: f"{s}px")
def degraded(request, demo_set, data, ref):
    """Held-back real images, blurred and down-up-sampled, scored with the default criteria."""
    size = request.param
    if size == SIZE:
        d, r = data, ref
    else:
        x = _grey(demo_set.images, size)
        held = np.isin(demo_set.groups, np.unique(demo_set.groups)[1::2])
        d = dict(x=x[~held], y=demo_set.labels[~held], xh=x[held], yh=demo_set.labels[held])
        r = gate.fit_reference(d["x"], d["y"])
    real = {c: d["xh"][d["yh"] == c] for c in r.classes}
    gen = {
        "real held-back": real,
        "blurred 1.5": {c: _blur(v, 1.5) for c, v in real.items()},
        "blurred 0.5": {c: _blur(v, 0.5) for c, v in real.items()},
        "down-up x2": {c: _down_up(v) for c, v in real.items()},
    }
    tables = {k: gate.score_checkpoint(r, g) for k, g in gen.items()}
    return dict(size=size, ref=r, gen=gen, tables=tables)


def test_real_held_back_images_pass_every_default_criterion(degraded, capsys):
    t = degraded["tables"]["real held-back"]
    _show_new(capsys, f"{degraded['size']} px: real held-back", t)
    assert t[["js_ok", "fidelity_ok", "sharpness_ok", "c2st_ok", "passed"]].all().all()
    assert (t["sharpness_ratio"] > 0.85).all()  # other babies than the fold's: 0.86-1.05


@pytest.mark.parametrize("case", ["blurred 1.5", "down-up x2"])
def test_sharpness_rejects_blur_and_upsampling(degraded, case, capsys):
    size, ref, t = degraded["size"], degraded["ref"], degraded["tables"][case]
    _show_new(capsys, f"{size} px: {case}", t)
    assert not t["sharpness_ok"].any() and not t["passed"].any()
    assert (t["sharpness_ratio"] < 0.75).all()
    # JS and label fidelity let them through; only 24 px laugh, blurred 1.5, fails them as well
    old = gate.score_checkpoint(ref, degraded["gen"][case], {"criteria": ["js", "fidelity"]})
    caught_anyway = {"laugh"} if (size, case) == (24, "blurred 1.5") else set()
    assert old.set_index("class")["passed"].to_dict() == {c: c not in caught_anyway for c in ref.classes}


def test_less_blur_lowers_the_ratio_less(degraded, capsys):
    tables = degraded["tables"]
    _show_new(capsys, f"{degraded['size']} px: blurred 0.5 (reported)", tables["blurred 0.5"])
    ratio = {k: t["sharpness_ratio"].to_numpy() for k, t in tables.items()}
    assert (ratio["blurred 1.5"] < ratio["blurred 0.5"]).all()
    assert (ratio["blurred 0.5"] < ratio["real held-back"]).all()


def test_c2st_separates_blurred_images(degraded, capsys):
    ref, tables = degraded["ref"], degraded["tables"]
    held, blurred = tables["real held-back"], tables["blurred 1.5"]
    assert (held["c2st_auc"] <= held["c2st_baseline"] + 0.1).all() and (held["c2st_auc"] < 0.75).all()
    assert (blurred["c2st_auc"] > held["c2st_auc"] + 0.05).all()
    assert blurred["c2st_auc"].mean() > 0.8
    only = gate.score_checkpoint(ref, degraded["gen"]["blurred 1.5"], {"criteria": ["c2st"]})
    _show_new(capsys, f"{degraded['size']} px: blurred 1.5, C2ST alone", only)
    assert (only["passed"] == only["c2st_ok"]).all()
    # a linear classifier on 10 components: cry and laugh are caught, neutral only just (24 px) or not
    assert not only.set_index("class").loc[["cry", "laugh"], "passed"].any()


def test_sharpness_judges_a_small_class(data, capsys):
    x, y = data["x"], data["y"]
    keep = np.r_[np.flatnonzero(y != "neutral"), np.flatnonzero(y == "neutral")[:12]]
    ref = gate.fit_reference(x[keep], y[keep])
    raw = np.percentile(ref.sharpness_real_vs_real["neutral"], 5)
    assert ref.sharpness_baseline["neutral"] == np.clip(raw, 0.85, 1.0)  # halves of 6, clipped
    copies = np.resize(x[keep][y[keep] == "neutral"], (24, SIZE, SIZE))  # the 12 real images twice
    cases = {"copies": copies, "blurred copies": _blur(copies, 1.5), "down-up copies": _down_up(copies)}
    for name, gen in cases.items():
        # the real images themselves stand in for a sharp generator: copies reported, not deciding
        t = gate.score_checkpoint(ref, {"neutral": gen}, {"max_copy_share": None})
        _show_new(capsys, f"12 neutral: {name}", t)
        r = t.iloc[0]
        assert not r["js_judged"] and r["fidelity_ok"]  # before sharpness, all three passed
        assert r["passed"] == r["sharpness_ok"] == (name == "copies")
    assert t["sharpness_ratio"].iloc[0] < 0.75


def test_tiny_classes_get_floor_baselines():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 256, (14, 8, 8), dtype=np.uint8)
    y = np.array(["cry"] * 8 + ["laugh"] * 5 + ["neutral"])
    ref = gate.fit_reference(x, y, {"min_images": 2})
    assert ref.sharpness_baseline["neutral"] == gate.SHARPNESS_BASELINE_RANGE[0]  # 1 image, no halves
    assert np.isnan(ref.c2st_baseline["laugh"])  # halves of 2: too few for 3 folds
    assert ref.c2st_baseline["cry"] >= 0.5  # halves of 4
    # C2ST alone cannot judge laugh (no baseline): with nothing deciding, it does not pass
    t = gate.score_checkpoint(ref, {"cry": x[:8], "laugh": x[8:13]},
                              {"criteria": ["c2st"], "min_images": 2, "max_copy_share": None})
    assert t["passed"].tolist() == [bool(t["c2st_ok"].iloc[0]), False]
    assert any("C2ST" in note for note in ref.notes)
