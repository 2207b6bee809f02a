"""Resamplers: imblearn's SMOTEENN and over-samplers, guarded for tiny classes, with sources and counts."""
import logging

import numpy as np
import pytest
from imblearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier

from infantfer.resample import GuardedOverSampler, GuardedSMOTEENN, resample_fold


def fold(counts=(40, 15, 3), side=6, seed=0):
    rng = np.random.default_rng(seed)
    y = np.concatenate([[c] * n for c, n in zip(["cry", "laugh", "neutral"], counts)])
    centres = {"cry": 60, "laugh": 130, "neutral": 200}
    x = np.stack([np.clip(rng.normal(centres[c], 25, (side, side)), 0, 255) for c in y]).astype(np.uint8)
    return x, y, np.array([f"img{i}" for i in range(len(y))])


def test_balances_and_tracks_sources():
    x, y, ids = fold()
    out = resample_fold(x, y, ids, random_state=0)
    assert out.x.dtype == np.uint8 and out.x.shape[1:] == x.shape[1:]
    real = out.source == "real"
    assert set(out.id[real]) <= set(ids)  # real rows keep their ids
    for i in np.flatnonzero(real)[:10]:
        assert np.array_equal(out.x[i], x[ids.tolist().index(out.id[i])])
    assert all(s.startswith("smote-") for s in out.id[~real]) and len(set(out.id)) == len(out.id)
    steps = out.steps.set_index(["step", "label"])
    assert steps.loc["input", "real"].tolist() == [40, 15, 3] and steps.loc["input", "smote"].sum() == 0
    assert (steps.loc["after_smote"].sum(axis=1)).tolist() == [40, 40, 40]
    assert steps.loc["after_smote", "real"].tolist() == [40, 15, 3]
    final = steps.loc["resampled"]
    assert (final["real"] <= steps.loc["input", "real"]).all()
    assert final.sum(axis=1).sum() == len(out.y)
    assert dict(zip(*np.unique(out.y, return_counts=True))) == final.sum(axis=1).to_dict()
    assert final["real"].to_dict() == {c: int(((out.y == c) & real).sum()) for c in ["cry", "laugh", "neutral"]}


def test_same_seed_same_output():
    x, y, ids = fold()
    a, b = resample_fold(x, y, ids, random_state=3), resample_fold(x, y, ids, random_state=3)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.id, b.id)


def test_k_clamped_with_warning(caplog):
    x, y, ids = fold(counts=(30, 10, 3))
    caplog.set_level(logging.WARNING)
    sampler = GuardedSMOTEENN(k_neighbors=5, random_state=0)
    sampler.fit_resample(x.reshape(len(x), -1).astype(float), y)
    assert sampler.k_neighbors_ == 2
    assert "lowered from 5 to 2" in caplog.text and "'neutral'" in caplog.text


def test_single_image_class_kept_as_it_is(caplog):
    x, y, ids = fold(counts=(30, 10, 1))
    caplog.set_level(logging.WARNING)
    out = resample_fold(x, y, ids, random_state=0)
    assert "too few to oversample" in caplog.text
    assert (out.y == "neutral").sum() == 1 and out.source[out.y == "neutral"].tolist() == ["real"]


def test_composes_with_imblearn_pipeline():
    x, y, _ = fold()
    X = x.reshape(len(x), -1).astype(float)
    pipe = Pipeline([("resample", GuardedSMOTEENN(random_state=0)), ("tree", DecisionTreeClassifier(random_state=0))])
    pipe.fit(X, y)
    assert pipe.score(X, y) > 0.8


@pytest.mark.parametrize("counts", [(20, 20, 20), (5, 5)])
def test_nothing_to_oversample_still_edits(counts):
    x, y, ids = fold(counts=counts + (0,) * (3 - len(counts)))
    out = resample_fold(x, y, ids, random_state=0)
    assert (out.source == "real").all() and len(out.y) <= len(y)
    steps = out.steps.set_index(["step", "label"])
    assert steps.loc["after_smote", "real"].tolist() == steps.loc["input", "real"].tolist()
    assert steps.loc["after_smote", "smote"].sum() == 0


@pytest.mark.parametrize("resampler, source", [("smote", "smote"), ("random_over", "random_over"),
                                                ("adasyn", "adasyn"), ("borderline_smote", "borderline_smote")])
def test_over_samplers_balance_and_name_their_source(resampler, source):
    x, y, ids = overlapping_fold()
    out = resample_fold(x, y, ids, resampler=resampler, random_state=0, id_prefix=f"{source}-r0_f0")
    new = out.source != "real"
    assert set(out.source[new]) == {source} and all(i.startswith(f"{source}-r0_f0-") for i in out.id[new])
    assert len(set(out.id)) == len(out.id) and (out.source == "real").sum() == len(y)  # nothing removed
    counts = dict(zip(*np.unique(out.y, return_counts=True)))
    if resampler in ("smote", "random_over"):
        assert counts == {"cry": 40, "laugh": 40, "neutral": 40}
    else:  # ADASYN and Borderline-SMOTE adapt how many they make to the neighbourhoods
        assert counts["cry"] == 40 and counts["laugh"] > 15 and counts["neutral"] >= 6
    steps = out.steps.set_index(["step", "label"])
    assert steps.loc["resampled", source].to_dict() == {c: int(((out.y == c) & new).sum()) for c in ["cry", "laugh", "neutral"]}
    if resampler == "random_over":  # copies of real images, pixel for pixel
        originals = {i: img for i, img in zip(ids, x)}
        real_ids = out.id[~new]
        assert all(any(np.array_equal(img, o) for o in originals.values()) for img in out.x[new][:5])
        assert set(real_ids) == set(ids)


@pytest.mark.parametrize("resampler", ["smote", "adasyn", "borderline_smote"])
def test_over_samplers_lower_k_and_keep_a_one_image_class(resampler, caplog):
    x, y, ids = overlapping_fold(counts=(30, 3, 1))
    caplog.set_level(logging.WARNING)
    out = resample_fold(x, y, ids, resampler=resampler, random_state=0)
    assert "lowered from 5 to 2" in caplog.text and "'laugh'" in caplog.text
    assert "too few to oversample" in caplog.text
    assert out.source[out.y == "neutral"].tolist() == ["real"]


def test_random_over_copies_even_a_one_image_class():
    x, y, ids = fold(counts=(10, 1))
    out = resample_fold(x, y, ids, resampler="random_over", random_state=0)
    assert (out.y == "laugh").sum() == 10 and (out.x[out.y == "laugh"] == x[y == "laugh"][0]).all()


def overlapping_fold(counts=(40, 15, 6)):
    """Classes whose pixels overlap: every image has neighbours of other classes."""
    rng = np.random.default_rng(4)
    y = np.concatenate([[c] * n for c, n in zip(["cry", "laugh", "neutral"], counts)])
    centres = {"cry": 120, "laugh": 135, "neutral": 150}
    x = np.stack([np.clip(rng.normal(centres[c], 40, (6, 6)), 0, 255) for c in y]).astype(np.uint8)
    return x, y, np.array([f"img{i}" for i in range(len(y))])


def test_adasyn_leaves_a_class_without_majority_neighbours_as_it_is(caplog):
    x, y, ids = fold(counts=(40, 15, 6))  # well separated classes
    caplog.set_level(logging.WARNING)
    out = resample_fold(x, y, ids, resampler="adasyn", random_state=0)
    assert "class 'laugh' has no neighbour of another class; kept as it is" in caplog.text
    assert (out.source == "real").all() and len(out.y) == len(y)


def test_enn_mode_works_on_string_labels_and_cleans_less():
    x, y, ids = overlapping_fold(counts=(60, 20, 8))
    removed = {}
    for kind_sel in ("all", "mode"):
        out = resample_fold(x, y, ids, params={"kind_sel": kind_sel}, random_state=0)
        steps = out.steps.set_index(["step", "label"])
        removed[kind_sel] = int((steps.loc["input", "real"] - steps.loc["resampled", "real"]).sum())
    assert removed["mode"] < removed["all"]


def test_enn_sampling_strategy_spares_the_classes_it_does_not_edit():
    x, y, ids = overlapping_fold(counts=(60, 20, 8))
    out = resample_fold(x, y, ids, params={"enn_sampling_strategy": "majority"}, random_state=0)
    steps = out.steps.set_index(["step", "label"])
    kept = steps.loc["resampled"].sum(axis=1)
    assert kept["laugh"] == 60 and kept["neutral"] == 60  # after SMOTE, only cry is edited
    assert steps.loc[("resampled", "cry"), "real"] <= 60


def test_pca_space_keeps_real_pixels_and_decodes_new_images():
    x, y, ids = fold(counts=(40, 15, 6), side=8)
    out = resample_fold(x, y, ids, resampler="smote", params={"space": "pca", "pca_components": 10}, random_state=0)
    real = out.source == "real"
    for i in np.flatnonzero(real):
        assert np.array_equal(out.x[i], x[ids.tolist().index(out.id[i])])
    assert out.x.dtype == np.uint8 and out.x.shape[1:] == (8, 8) and (~real).sum() == 25 + 34
    # decoded images lie in the span of the training images: near their class's pixels
    assert abs(out.x[(~real) & (out.y == "neutral")].mean() - x[y == "neutral"].mean()) < 15


def test_over_sampler_is_an_imblearn_sampler():
    from sklearn.base import clone

    x, y, _ = fold()
    sampler = GuardedOverSampler(kind="adasyn", k_neighbors=3, random_state=1)
    assert clone(sampler).get_params() == sampler.get_params()
    pipe = Pipeline([("resample", sampler), ("tree", DecisionTreeClassifier(random_state=0))])
    assert pipe.fit(x.reshape(len(x), -1).astype(float), y).score(x.reshape(len(x), -1).astype(float), y) > 0.8
    with pytest.raises(ValueError):
        GuardedOverSampler(kind="tomek").fit_resample(x.reshape(len(x), -1).astype(float), y)
