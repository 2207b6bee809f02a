"""Evaluate: metrics against their libraries, NaN for absent classes, one fold end to end."""
import numpy as np
import pandas as pd
import pytest
from imblearn.metrics import geometric_mean_score
from sklearn.metrics import f1_score, roc_auc_score

from infantfer.config import resolve_config
from infantfer.evaluate import METRIC_COLUMNS, classifier_specs, evaluate_fold, features, fold_metrics
from infantfer.statistics import summarise

CLASSES = ["cry", "laugh", "neutral"]


def settings(**changes):
    ev = resolve_config({"datasets": {"d": {"layout": "demo"}}, "evaluate": changes})["evaluate"]
    return ev


def images(n_per_class, side=12, seed=0):
    rng = np.random.default_rng(seed)
    y = np.concatenate([[c] * n for c, n in zip(CLASSES, n_per_class)])
    level = {"cry": 70, "laugh": 128, "neutral": 190}
    x = np.stack([np.clip(rng.normal(level[c], 40, (side, side)), 0, 255) for c in y]).astype(np.uint8)
    return x, y


def test_metrics_match_the_libraries():
    rng = np.random.default_rng(1)
    y = np.array(CLASSES * 10)
    scores = rng.dirichlet([1, 1, 1], len(y))
    pred = np.array(CLASSES)[scores.argmax(1)]
    m = fold_metrics(y, pred, scores, CLASSES)
    assert m["macro_f1"] == pytest.approx(f1_score(y, pred, average="macro"))
    assert m["g_mean"] == pytest.approx(geometric_mean_score(y, pred))
    assert m["auc_ovr"] == pytest.approx(roc_auc_score(y, scores, multi_class="ovr", labels=CLASSES))


def test_absent_class_gives_nan_with_warning():
    y = np.array(["cry", "laugh"] * 5)
    with pytest.warns(UserWarning, match="neutral"):
        m = fold_metrics(y, y, np.eye(3)[[0, 1] * 5], CLASSES)
    assert all(np.isnan(v) for v in m.values())


def test_features_pixels_and_hog():
    x, _ = images((3, 3, 3), side=24)
    pix = features(x, "pixels")
    assert pix.shape == (9, 576) and pix.dtype == np.float32 and pix.max() <= 1
    hog = features(x, "hog")
    assert hog.shape[0] == 9 and hog.shape[1] > 0 and np.isfinite(hog).all()
    with pytest.raises(ValueError):
        features(x, "sift")


def test_classifier_specs_include_variants():
    specs = classifier_specs(settings(variants={"f1_alpha_only": {"class_factor": "none"}}))
    assert list(specs) == ["f1_adaboost", "samme", "chance", "f1_alpha_only"]
    assert specs["f1_alpha_only"]["kind"] == "f1_adaboost" and specs["f1_alpha_only"]["class_factor"] == "none"


def test_evaluate_fold_tables():
    x, y = images((30, 12, 6))
    test_x, test_y = images((10, 4, 3), seed=1)
    ids = np.array([f"t{i}" for i in range(len(test_y))])
    # an arm missing a class still yields a score column per class
    train_sets = {"original": (x, y), "no_neutral": (x[y != "neutral"], y[y != "neutral"])}
    result = evaluate_fold(train_sets, test_x, test_y, ids, CLASSES, settings(n_estimators=5), "d", 0, 2)
    assert list(result.metrics.columns) == METRIC_COLUMNS
    assert len(result.metrics) == 2 * 3 and set(result.metrics["fold"]) == {2}
    assert len(result.predictions) == 6 * len(test_y)
    scores = result.predictions[[f"score_{c}" for c in CLASSES]].to_numpy()
    assert np.allclose(scores.sum(1), 1)
    no_neutral = result.predictions[result.predictions.arm == "no_neutral"]
    assert (no_neutral["score_neutral"] == 0).all()
    boosted = result.metrics[(result.metrics.arm == "original") & (result.metrics.classifier == "f1_adaboost")]
    chance = result.metrics[(result.metrics.arm == "original") & (result.metrics.classifier == "chance")]
    assert boosted["macro_f1"].item() > chance["macro_f1"].item()  # the data are separable by brightness
    assert result.confusion.groupby(["arm", "classifier"])["count"].sum().eq(len(test_y)).all()
    assert set(result.per_class["class"]) == set(CLASSES)
    again = evaluate_fold(train_sets, test_x, test_y, ids, CLASSES, settings(n_estimators=5), "d", 0, 2)
    pd.testing.assert_frame_equal(result.metrics, again.metrics)


def test_summarise_mean_sd_and_n():
    metrics = pd.DataFrame({"dataset": "d", "arm": "original", "classifier": "samme", "repeat": 0, "fold": [0, 1, 2],
                            "macro_f1": [0.5, 0.7, np.nan], "g_mean": [0.1, 0.3, np.nan], "auc_ovr": [0.6, 0.8, np.nan]})
    row = summarise(metrics).iloc[0]
    assert row["n"] == 2 and row["macro_f1_mean"] == pytest.approx(0.6) and row["macro_f1_sd"] == pytest.approx(np.std([0.5, 0.7], ddof=1))
