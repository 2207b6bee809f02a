"""SMOTEENN: imblearn's resampling, guarded for tiny classes, with sources and counts."""
import logging

import numpy as np
import pytest
from imblearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier

from infantfer.smoteenn import GuardedSMOTEENN, counts_table, resample_fold


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
    c = out.counts.set_index("label")
    assert c["real"].tolist() == [40, 15, 3] and c["after_smote"].tolist() == [40, 40, 40]
    assert (c["after_enn_real"] <= c["real"]).all()
    n_final = c["after_enn_real"] + c["after_enn_smote"]
    assert n_final.sum() == len(out.y)
    assert dict(zip(*np.unique(out.y, return_counts=True))) == n_final.to_dict()


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
    assert "too few to interpolate" in caplog.text
    assert (out.y == "neutral").sum() == 1 and out.source[out.y == "neutral"].tolist() == ["real"]


def test_composes_with_imblearn_pipeline():
    x, y, _ = fold()
    X = x.reshape(len(x), -1).astype(float)
    pipe = Pipeline([("resample", GuardedSMOTEENN(random_state=0)), ("tree", DecisionTreeClassifier(random_state=0))])
    pipe.fit(X, y)
    assert pipe.score(X, y) > 0.8


def test_counts_table_long_format():
    x, y, ids = fold()
    table = counts_table(resample_fold(x, y, ids, random_state=0), "d", 0, 1)
    assert set(table["arm"]) == {"original", "smoteenn"}
    final = table[(table.arm == "smoteenn") & (table.step == "final")]
    assert (final["total"] == final["real"] + final["smote"]).all()
    assert table[(table.arm == "original")]["total"].tolist() == [40, 15, 3]


@pytest.mark.parametrize("counts", [(20, 20, 20), (5, 5)])
def test_nothing_to_oversample_still_edits(counts):
    x, y, ids = fold(counts=counts + (0,) * (3 - len(counts)))
    out = resample_fold(x, y, ids, random_state=0)
    assert (out.source == "real").all() and len(out.y) <= len(y)
    assert out.counts["after_smote"].tolist() == out.counts["real"].tolist()
