"""Probable copies and membership inference (infantfer.privacy) on the demo faces and on random images.

Real data: demo faces (cry / laugh / neutral 100 each), grey 32x32, split three ways by baby: a
"training fold" (the reference), "held-back" real images and "other babies" (a perfect generator
that has never seen the fold). Measured here and on demo seeds 0-2 at 16 and 32 px (folds of
~240): real faces of other babies 0-0.006 flagged, uniform noise 0; noised copies flagged by the
feature space up to sd 20 at 32 px (distance / threshold at most ~0.5), by pixels only up to
sd ~8-10 (the pixel distance grows as sd * S, the feature distance as sd * sqrt(20)).
"""
from __future__ import annotations

import cv2
import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from infantfer import privacy
from infantfer.demo import generate_demo

SIZE = 32


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    # matrices of a few hundred images: BLAS threads only contend on a busy machine (10x slower)
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def faces():
    demo = generate_demo(counts={"cry": 100, "laugh": 100, "neutral": 100}, size=SIZE, seed=0)
    x = np.stack([cv2.cvtColor(im, cv2.COLOR_RGB2GRAY) for im in demo.images])
    babies = np.unique(demo.groups)
    part = {name: np.isin(demo.groups, babies[k::3]) for k, name in enumerate(("train", "test", "other"))}
    return {name: x[m] for name, m in part.items()} | {"y_train": demo.labels[part["train"]], "all": x}


@pytest.fixture(scope="module")
def ref(faces):
    return privacy.fit_copy_reference(faces["train"], seed=0)


def _noised(x: np.ndarray, sd: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(np.rint(x + rng.normal(0.0, sd, x.shape)), 0, 255).astype(np.uint8)


def _loo_brute(z: np.ndarray) -> np.ndarray:
    """Nearest-other-point distances by explicit differences (no sklearn, no dot-product trick)."""
    d = np.sqrt(((z[:, None, :] - z[None, :, :]) ** 2).sum(axis=2))
    np.fill_diagonal(d, np.inf)
    return d.min(axis=1)


# --------------------------------------------------------------------------- copies
def test_exact_copies_flagged_in_both_spaces_and_rejected(faces, ref):
    g = faces["train"][np.random.default_rng(1).choice(len(faces["train"]), 60, replace=False)]
    a = privacy.copy_audit(ref, g)
    assert a["n_generated"] == 60 and a["n_real"] == len(faces["train"])
    assert a["copy_share"] == a["copy_share_pixels"] == a["copy_share_features"] == 1.0
    assert a["ratio_min_pixels"] == pytest.approx(0, abs=1e-6)
    assert a["ratio_median_features"] < 1e-3
    assert privacy.copy_rejected(a["copy_share"], 0.1)


def test_slightly_noised_copies_flagged(faces, ref):
    """sd 3 grey levels: both spaces flag all of them, pixels at ~0.3 of the threshold, the
    feature space at ~0.05 (it sees only 20 of the 1024 directions the noise spreads over)."""
    a = privacy.copy_audit(ref, _noised(faces["train"][:80], 3.0, seed=2))
    assert a["copy_share_features"] == 1.0
    assert a["copy_share_pixels"] >= 0.95
    assert a["copy_share"] == 1.0
    assert a["ratio_median_features"] < 0.3 and a["ratio_median_pixels"] < 0.7


def test_heavily_noised_copies_flagged_by_features_only(faces, ref):
    """sd 20: in pixels a noised copy is ~sd * S = 640 grey levels from its original, beyond the
    threshold; its projection onto the fold's 20 components barely moves. Why the feature space."""
    a = privacy.copy_audit(ref, _noised(faces["train"][:80], 20.0, seed=3))
    assert a["copy_share_pixels"] <= 0.05
    assert a["copy_share_features"] >= 0.9
    assert a["copy_share"] == pytest.approx(max(a["copy_share_pixels"], a["copy_share_features"]), abs=0.05)


def test_other_babies_and_noise_not_flagged(faces, ref):
    a = privacy.copy_audit(ref, faces["other"])
    assert a["copy_share"] <= 0.05
    noise = np.random.default_rng(4).integers(0, 256, (100, SIZE, SIZE), dtype=np.uint8)
    b = privacy.copy_audit(ref, noise)
    assert b["copy_share"] == 0.0 and b["ratio_min_pixels"] > 2 and b["ratio_min_features"] > 1
    assert not privacy.copy_rejected(a["copy_share"], 0.1)


# --------------------------------------------------------------------------- thresholds
@pytest.mark.parametrize("percentile", [1.0, 50.0])
def test_thresholds_match_brute_force(percentile):
    rng = np.random.default_rng(5)
    x = rng.integers(0, 256, (40, 12, 12), dtype=np.uint8)
    ref = privacy.fit_copy_reference(x, percentile=percentile)
    d_p = _loo_brute(x.reshape(40, -1).astype(np.float64))
    assert ref.threshold_pixels == pytest.approx(max(np.percentile(d_p, percentile), 0.5), rel=1e-9)
    # feature space by numpy's SVD: components differ from sklearn's in sign only, distances not
    xf = x.reshape(40, -1) / 255.0
    xc = xf - xf.mean(axis=0)
    k = min(20, 40 - 1, 144)
    z = xc @ np.linalg.svd(xc, full_matrices=False)[2][:k].T
    d_f = _loo_brute(z)
    assert ref.pca.n_components_ == k
    assert ref.threshold_features == pytest.approx(max(np.percentile(d_f, percentile), privacy.FEATURE_FLOOR), rel=1e-6)
    assert ref.loo["pixels_p01"] == pytest.approx(np.percentile(d_p, 1), rel=1e-9)
    assert ref.loo["features_median"] == pytest.approx(np.median(d_f), rel=1e-6)


def test_thresholds_floored_with_duplicates():
    """Duplicates in the fold put the 1st percentile at 0: the floors keep exact copies counted."""
    rng = np.random.default_rng(6)
    x = rng.integers(0, 256, (30, 12, 12), dtype=np.uint8)
    x = np.concatenate([x, x[:3]])  # 6 of 33 LOO distances are 0
    assert np.percentile(_loo_brute(x.reshape(len(x), -1).astype(np.float64)), 1.0) == 0.0
    ref = privacy.fit_copy_reference(x)
    assert ref.threshold_pixels == 0.5
    assert ref.threshold_features == privacy.FEATURE_FLOOR
    assert ref.loo["pixels_min"] == 0.0
    a = privacy.copy_audit(ref, np.concatenate([x[5:15], np.clip(x[15:25].astype(int) + 1, 0, 255)]))
    assert a["copy_share_pixels"] == 0.5  # the exact copies; +1 grey level per pixel is no longer one
    assert a["copy_share"] == 0.5


# --------------------------------------------------------------------------- tables and the rule
def test_audit_table_global_and_per_class(faces, ref):
    gen = {"cry": faces["train"][:10], "laugh": faces["other"][:30], "neutral": np.zeros((0, SIZE, SIZE), np.uint8)}
    table = privacy.audit_table(ref, gen, max_copy_share=0.1)
    assert list(table["class"]) == ["cry", "laugh", "neutral"]
    assert list(table.columns) == privacy.AUDIT_COLUMNS + ["copy_rejected"]
    assert table["copy_rejected"].tolist() == [True, False, False]
    assert table.loc[0, "copy_share"] == 1.0 and table.loc[1, "copy_share"] <= 0.1
    assert table.loc[2, "n_generated"] == 0 and np.isnan(table.loc[2, "copy_share"])
    row = privacy.copy_audit(ref, gen["laugh"])
    assert table.loc[1, privacy.AUDIT_COLUMNS[1:]].to_dict() == pytest.approx(row, nan_ok=True)
    assert "copy_rejected" not in privacy.audit_table(ref, gen).columns

    y = faces["y_train"]
    per_class = {c: privacy.fit_copy_reference(faces["train"][y == c]) for c in gen}
    t2 = privacy.audit_table(per_class, gen)
    assert t2["n_real"].tolist() == [int(np.sum(y == c)) for c in gen]
    # a per-class reference misses copies of the other classes' infants: why the gate uses the fold
    assert t2.loc[0, "copy_share"] == np.mean(y[:10] == "cry") < 1
    with pytest.raises(KeyError):
        privacy.audit_table({"cry": per_class["cry"]}, gen)


def test_copy_rejected_rule():
    assert privacy.copy_rejected(0.2, 0.1)
    assert not privacy.copy_rejected(0.1, 0.1)  # equal passes
    assert privacy.copy_rejected(0.01, 0.0)  # 0: no copy at all allowed
    assert not privacy.copy_rejected(float("nan"), 0.1)  # nothing generated: nothing leaked
    assert not privacy.copy_rejected(1.0, None)  # the check is off
    for bad in (float("nan"), -0.1, 1.5):
        with pytest.raises(ValueError, match="max_copy_share"):
            privacy.copy_rejected(0.5, bad)


# --------------------------------------------------------------------------- membership inference
def test_membership_inference_memorising_generator(faces):
    auc = privacy.membership_inference_auc(faces["train"], faces["train"], faces["test"], seed=0)
    assert set(auc) == {"mia_auc_pixels", "mia_auc_features"}
    assert auc["mia_auc_pixels"] > 0.95 and auc["mia_auc_features"] > 0.95


def test_membership_inference_unseen_generator_near_chance(faces):
    """The generator's faces are real ones it never saw, drawn like the training and held-back
    images: 100 random images each of the 300 (0.37-0.58 over demo seeds 0-7; split by baby
    instead, 0.29-0.61: a baby's images cluster, so few babies a side make it scatter more)."""
    x = faces["all"]
    perm = np.random.default_rng(0).permutation(len(x))
    tr, te, g = x[perm[:100]], x[perm[100:200]], x[perm[200:]]
    auc = privacy.membership_inference_auc(g, tr, te, seed=0)
    assert 0.3 <= auc["mia_auc_pixels"] <= 0.7
    assert 0.3 <= auc["mia_auc_features"] <= 0.7


def test_membership_inference_treats_both_sides_alike(faces):
    """Swapping members and held-back images gives 1 - AUC in both spaces: neither side shapes the
    feature space more (a PCA fitted on the members alone pulls the others toward the mean face)."""
    x = faces["all"]
    perm = np.random.default_rng(1).permutation(len(x))
    tr, te, rest = x[perm[:60]], x[perm[60:120]], x[perm[120:]]
    rng = np.random.default_rng(2)
    blurry = np.stack([rest[rng.choice(len(rest), 8)].mean(axis=0) for _ in range(60)]).round().astype(np.uint8)
    one, other = (privacy.membership_inference_auc(blurry, a, b) for a, b in ((tr, te), (te, tr)))
    for space in ("mia_auc_pixels", "mia_auc_features"):
        assert one[space] + other[space] == pytest.approx(1.0, abs=1e-9), space


def test_membership_inference_too_few_images(faces):
    tr, te, g = faces["train"], faces["test"], faces["other"]
    for args in ((g, tr[:1], te), (g, tr, te[:1]), (g[:0], tr, te)):
        auc = privacy.membership_inference_auc(*args)
        assert np.isnan(auc["mia_auc_pixels"]) and np.isnan(auc["mia_auc_features"])
    auc = privacy.membership_inference_auc(g[:5], tr[:2], te[:2])  # smallest that is measured
    assert np.isfinite(auc["mia_auc_pixels"]) and np.isfinite(auc["mia_auc_features"])


# --------------------------------------------------------------------------- edge cases
def test_one_real_image():
    x = np.random.default_rng(7).integers(0, 256, (2, 16, 16), dtype=np.uint8)
    ref = privacy.fit_copy_reference(x[:1])
    assert ref.threshold_pixels == 0.5 and np.isnan(ref.threshold_features) and ref.pca is None
    a = privacy.copy_audit(ref, x)
    assert a["copy_share"] == a["copy_share_pixels"] == 0.5  # the exact copy only
    assert np.isnan(a["copy_share_features"]) and np.isnan(a["ratio_min_features"])


def test_no_generated_images(ref):
    for g in (np.zeros((0, SIZE, SIZE), np.uint8), np.zeros((0,), np.uint8), []):
        a = privacy.copy_audit(ref, g)
        assert a["n_generated"] == 0
        assert all(np.isnan(a[k]) for k in ("copy_share", "copy_share_pixels", "copy_share_features",
                                            "ratio_min_pixels", "ratio_median_features"))
        assert np.isfinite(a["threshold_pixels"])
        assert not privacy.copy_rejected(a["copy_share"], 0.0)


def test_shapes_and_values_checked(ref, faces):
    with pytest.raises(ValueError, match=r"\(16, 16\).*\(32, 32\)"):
        privacy.copy_audit(ref, np.zeros((3, 16, 16), np.uint8))
    with pytest.raises(ValueError, match=r"\(5, 32, 32, 3\)"):
        privacy.copy_audit(ref, np.zeros((5, SIZE, SIZE, 3), np.uint8))
    with pytest.raises(ValueError, match=r"\(24, 24\).*\(32, 32\)"):
        privacy.membership_inference_auc(faces["other"], faces["train"], np.zeros((4, 24, 24), np.uint8))
    with pytest.raises(ValueError, match="no images"):
        privacy.fit_copy_reference(np.zeros((0, 8, 8), np.uint8))
    with pytest.raises(ValueError, match="percentile"):
        privacy.fit_copy_reference(faces["train"], percentile=0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        privacy.copy_audit(ref, faces["train"][:3] / 255.0)
    # a generator's float output in grey levels is rounded and clipped as the gate does
    as_float = faces["train"][:4].astype(np.float32) + 0.3
    assert privacy.copy_audit(ref, as_float)["copy_share_pixels"] == 1.0


def test_deterministic(faces):
    a = privacy.fit_copy_reference(faces["train"], seed=3)
    b = privacy.fit_copy_reference(faces["train"], seed=3)
    assert (a.threshold_pixels, a.threshold_features) == (b.threshold_pixels, b.threshold_features)
    g = _noised(faces["other"][:20], 5.0, seed=8)
    assert privacy.copy_audit(a, g) == privacy.copy_audit(b, g)


# --------------------------------------------------------------------------- what a training set holds
def _topped_up(faces, generated: dict[str, np.ndarray], smote: np.ndarray | None = None):
    from infantfer.io.npz import TrainingSet

    parts = [(faces["train"], faces["y_train"], "real")]
    if smote is not None:
        parts.append((smote, np.full(len(smote), "laugh"), "smote"))
    parts += [(g, np.full(len(g), c), "cgan") for c, g in generated.items()]
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts]).astype(str)
    source = np.concatenate([np.full(len(p[0]), p[2]) for p in parts])
    return TrainingSet(x, y, np.arange(len(y)).astype(str), source)


def test_audit_of_added_images_per_class_with_membership_inference(faces):
    """The augment job's audit: one row per class of the dataset (a class without added images
    listed with n_generated 0, not left out), copies flagged in the class they were added to, SMOTE
    rows neither added nor trained on, and the fold's membership AUC on every row."""
    from infantfer import gate

    rng = np.random.default_rng(4)
    cry = faces["train"][faces["y_train"] == "cry"]
    copies = cry[rng.choice(len(cry), 20, replace=False)]  # a memorising generator's "laugh" images
    others = faces["other"][:20]  # faithful faces of babies the fold never saw
    smote = faces["train"][:30]  # SMOTE rows equal to real faces: copies if they counted as added
    ts = _topped_up(faces, {"laugh": copies, "neutral": others}, smote=smote)
    test = (faces["test"], np.array(["cry", "laugh", "neutral"])[np.arange(len(faces["test"])) % 3])
    table = privacy.audit_training_set(faces["train"], ts, ["cry", "laugh", "neutral"], test, seed=0,
                                       max_copy_share=0.25)
    assert list(table.columns) == privacy.ADDED_COLUMNS
    rows = table.set_index("class")
    assert rows.loc["cry", "n_generated"] == 0 and np.isnan(rows.loc["cry", "copy_share"])
    assert rows.loc["cry", "copy_ok"]  # nothing added: nothing leaked
    assert rows.loc["laugh", "n_generated"] == 20 and rows.loc["laugh", "copy_share"] == 1.0  # not the SMOTE rows
    assert not rows.loc["laugh", "copy_ok"] and rows.loc["laugh", "ratio_min_pixels"] == 0.0
    assert rows.loc["neutral", "copy_share"] <= 0.05 and rows.loc["neutral", "copy_ok"]
    assert table["mia_auc_pixels"].nunique() == 1 and (table["mia_note"] == "").all()
    # the threshold is the gate's: the same reference on the same real images and seed
    assert rows.loc["laugh", "threshold_pixels"] == gate.fit_reference(faces["train"], faces["y_train"]).copies.threshold_pixels


def test_membership_inference_over_the_topped_up_classes_only(faces):
    """A generator that returns its training laughs: the laugh members sit at distance 0, so the AUC
    is high; test images of classes it never drew do not dilute it."""
    laughs = faces["train"][faces["y_train"] == "laugh"]
    ts = _topped_up(faces, {"laugh": laughs})
    labels = np.array(["cry", "laugh", "neutral"])[np.arange(len(faces["test"])) % 3]
    table = privacy.audit_training_set(faces["train"], ts, ["cry", "laugh", "neutral"], (faces["test"], labels))
    auc = table["mia_auc_pixels"].iloc[0]
    only_laugh = privacy.membership_inference_auc(laughs, laughs, faces["test"][labels == "laugh"])
    assert auc == only_laugh["mia_auc_pixels"] and auc > 0.9


def test_audit_of_the_balanced_set_reports_no_membership_number(faces):
    ts = _topped_up(faces, {"neutral": faces["other"][:10]})
    table = privacy.audit_training_set(faces["train"], ts, ["cry", "laugh", "neutral"], None, seed=0)
    assert table["mia_auc_pixels"].isna().all() and table["mia_auc_features"].isna().all()
    assert (table["mia_note"] == privacy.NO_HELD_BACK).all()
    assert table["copy_ok"].all()  # max_copy_share None: reported only
    labels = np.array(["cry"] * len(faces["test"]))
    nothing = privacy.audit_training_set(faces["train"], _topped_up(faces, {}), ["cry"], (faces["test"], labels))
    assert nothing["n_generated"].tolist() == [0] and nothing["mia_note"].tolist() == ["nothing generated"]
