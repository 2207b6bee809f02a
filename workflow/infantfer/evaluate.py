"""Stage 7, evaluate: train each arm's classifiers on its training set, score the real test fold.

Arms are training sets of one fold (see :mod:`infantfer.arms`; by default ``original``: the real
training images; ``smoteenn``: their SMOTEENN output; ``cgan`` and ``smoteenn_cgan``: those topped
up with gated GAN images), optionally with balanced sample weights. Every arm of a fold is scored
on the same real test images, so the arms can be compared fold by fold.

Classifiers (``evaluate.classifiers`` plus ``evaluate.variants``):

- ``f1_adaboost``: :class:`infantfer.boosting.F1AdaBoostClassifier`, the thesis' method;
- ``samme``: scikit-learn's AdaBoostClassifier with the same trees and rounds, the ablation;
- ``chance``: a stratified DummyClassifier, the floor;
- any variant of F1AdaBoost the config names.

Metrics per fold: macro F1 (scikit-learn), G-mean (``imblearn.metrics.geometric_mean_score``)
and one-vs-rest AUC (scikit-learn). A class absent from a test fold makes the fold's metrics NaN,
with a warning: averaging over the classes that happen to be present would flatter the fold.
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.validation import has_fit_parameter

from .arms import Arm, class_counts, training_set
from .classifiers import make_classifier
from .gan_run import real_part
from .io.npz import TrainingSet
from .logs import Progress
from .parts import fold_seed
from .split import fold_indices
from .method import METHOD_CLASSIFIER
from .metrics import METRICS, REGISTRY

log = logging.getLogger(__name__)

METRIC_COLUMNS = ["dataset", "arm", "classifier", "repeat", "fold", *METRICS]


def features(x: np.ndarray, kind: str = "pixels") -> np.ndarray:
    """Feature vectors of uint8 greyscale faces (N, S, S): pixels in [0, 1] or HOG."""
    if kind == "pixels":
        return x.reshape(len(x), -1).astype(np.float32) / 255.0
    if kind == "hog":
        from skimage.feature import hog

        cell = max(4, x.shape[1] // 6)  # about 6 x 6 cells whatever the face size
        return np.stack(
            [hog(img, orientations=9, pixels_per_cell=(cell, cell), cells_per_block=(2, 2)) for img in x]
        ).astype(np.float32)
    raise ValueError(f"unknown features '{kind}': use pixels or hog")


def classifier_specs(settings: dict) -> dict[str, dict]:
    """Name -> spec for every classifier of an ``evaluate`` section."""
    base = {k: settings[k] for k in ("n_estimators", "max_depth", "learning_rate")}
    specs = {name: {"kind": name, **base} for name in settings["classifiers"]}
    for name, variant in settings.get("variants", {}).items():
        specs[name] = {"kind": METHOD_CLASSIFIER, **base, **variant}
    return specs


def fold_metrics(y_true: np.ndarray, y_pred: np.ndarray, scores: np.ndarray, classes: list[str]) -> dict[str, float]:
    """Every metric of :mod:`infantfer.metrics` over all ``classes``; NaN (with a warning) when a
    class is missing from ``y_true``."""
    missing = sorted(set(classes) - set(np.asarray(y_true).tolist()))
    if missing:
        warnings.warn(f"test fold has no image of class(es) {missing}: metrics set to NaN", stacklevel=2)
        return {m: float("nan") for m in METRICS}
    return {name: metric.score(y_true, y_pred, scores, classes) for name, metric in REGISTRY.items()}


@dataclass
class FoldResult:
    predictions: pd.DataFrame
    metrics: pd.DataFrame
    per_class: pd.DataFrame
    confusion: pd.DataFrame


def evaluate_fold(
    train_sets: dict[str, tuple[np.ndarray, np.ndarray]],
    test_x: np.ndarray,
    test_y: np.ndarray,
    test_ids: np.ndarray,
    classes: list[str],
    settings: dict,
    dataset: str,
    repeat: int,
    fold: int,
    class_weight: dict[str, str] | None = None,
) -> FoldResult:
    """Fit every classifier on every arm's training images and score the real test fold.

    ``train_sets`` maps an arm name to (uint8 images (N, S, S), labels). ``settings`` is an
    ``evaluate`` config section. ``class_weight`` maps an arm to ``"balanced"`` when its
    classifiers get balanced sample weights (``compute_sample_weight("balanced")``).
    """
    class_weight = class_weight or {}
    classes = sorted(classes)
    specs = classifier_specs(settings)
    X_test = features(test_x, settings["features"])
    seed = fold_seed(settings["seed"], repeat, fold)
    progress = Progress(len(train_sets) * len(specs), f"evaluate r{repeat} f{fold}", log, unit="fits", every_s=0)
    keys = {"dataset": dataset, "repeat": repeat, "fold": fold}
    tables: dict[str, list] = {"predictions": [], "metrics": [], "per_class": [], "confusion": []}
    for arm, (x, y) in train_sets.items():
        X_train = features(x, settings["features"])
        weights = compute_sample_weight("balanced", np.asarray(y)) if class_weight.get(arm, "none") == "balanced" else None
        for name, spec in specs.items():
            start = time.perf_counter()
            scores, y_pred = _fit_and_predict(arm, name, spec, seed, X_train, y, weights, X_test, classes)
            row_keys = {**keys, "arm": arm, "classifier": name}
            values = _scored(test_y, y_pred, scores, classes, f"{arm} {name} r{repeat} f{fold}")
            _add_rows(tables, row_keys, values, test_ids, test_y, y_pred, scores, classes)
            log.info("%s / %s: macro F1 %.3f, G-mean %.3f, AUC %.3f (%d train images, %.1f s)",
                     arm, name, values["macro_f1"], values["g_mean"], values["auc_ovr"], len(y), time.perf_counter() - start)
            progress.update()
    return FoldResult(
        predictions=pd.concat(tables["predictions"], ignore_index=True),
        metrics=pd.DataFrame(tables["metrics"])[METRIC_COLUMNS],
        per_class=pd.concat(tables["per_class"], ignore_index=True),
        confusion=pd.concat(tables["confusion"], ignore_index=True),
    )


def _fit_and_predict(arm: str, name: str, spec: dict, seed: int, X_train: np.ndarray, y, weights,
                     X_test: np.ndarray, classes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """One classifier fitted on an arm's training set: its scores (columns: ``classes``) and
    predictions on the test fold."""
    model = make_classifier(name, spec, random_state=seed)
    if weights is not None and not has_fit_parameter(model, "sample_weight"):
        raise ValueError(f"classifier {name} takes no sample_weight; arm {arm} asks for class weights")
    fit_kwargs = {} if weights is None else {"sample_weight": weights}
    model.fit(X_train, np.asarray(y), **fit_kwargs)
    # Columns in sorted class order, whatever the model saw: a class missing from an
    # arm's training set scores 0.
    scores = np.zeros((len(X_test), len(classes)))
    proba = model.predict_proba(X_test)
    for j, c in enumerate(model.classes_):
        scores[:, classes.index(str(c))] = proba[:, j]
    y_pred = np.asarray(model.predict(X_test)).astype(str)
    return scores, y_pred


def _scored(test_y, y_pred, scores, classes: list[str], what: str) -> dict[str, float]:
    """:func:`fold_metrics`, its warnings logged with ``what`` (arm, classifier, repeat, fold)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        values = fold_metrics(test_y, y_pred, scores, classes)
    for w in caught:
        log.warning("%s: %s", what, w.message)
    return values


def _add_rows(tables: dict[str, list], row_keys: dict, values: dict, test_ids, test_y, y_pred, scores,
              classes: list[str]) -> None:
    """One fit's rows of the four tables: metrics, predictions, per-class F1 and confusion."""
    tables["metrics"].append({**row_keys, **values})
    pred = pd.DataFrame({"id": test_ids, **{k: row_keys[k] for k in ("arm", "classifier", "repeat", "fold")},
                         "y_true": test_y, "y_pred": y_pred})
    for j, c in enumerate(classes):
        pred[f"score_{c}"] = scores[:, j]
    tables["predictions"].append(pred)
    p, r, f, s = precision_recall_fscore_support(test_y, y_pred, labels=classes, zero_division=0)
    tables["per_class"].append(pd.DataFrame({**row_keys, "class": classes, "precision": p, "recall": r, "f1": f,
                                             "support": s}))
    cm = confusion_matrix(test_y, y_pred, labels=classes)
    tables["confusion"].append(pd.DataFrame([{**row_keys, "true": t, "pred": q, "count": int(cm[i, k])}
                                             for i, t in enumerate(classes) for k, q in enumerate(classes)]))


def evaluate_part(faces: dict, folds: pd.DataFrame, repeat: int, fold: int, arms: dict[str, Arm],
                  resampled: dict[str, TrainingSet], topped: dict[str, TrainingSet],
                  steps: dict[str, pd.DataFrame], settings: dict, dataset: str) -> tuple[FoldResult, pd.DataFrame]:
    """One fold of rule evaluate_fold: each arm's training set assembled from the fold's real
    training images, its resampled bases and its GAN-topped-up sets, scored by
    :func:`evaluate_fold` on the fold's real test images; and the arms' class counts per step."""
    train, test = fold_indices(folds, faces["id"], repeat, fold)
    classes = sorted(set(faces["y"].tolist()))
    real = real_part(faces, train)
    sets = {name: training_set(arm, real, resampled, topped) for name, arm in arms.items()}
    result = evaluate_fold(
        {name: (ts.x, ts.y) for name, ts in sets.items()}, faces["x"][test], faces["y"][test], faces["id"][test],
        classes=classes, settings=settings, dataset=dataset, repeat=repeat, fold=fold,
        class_weight={name: arm.class_weight for name, arm in arms.items()},
    )
    counts = class_counts(arms, sets, steps, resampled, classes, dataset, repeat, fold, real.y)
    return result, counts


# the tables evaluate_fold writes per fold and collect_dataset joins per dataset
FOLD_TABLES = ("predictions", "metrics", "per_class", "confusion", "counts")


def collect_tables(paths: list, out) -> pd.DataFrame:
    """One kind of fold table (``paths``, fold by fold) as one table at ``out``."""
    from .io.tsv import concat_tsv

    return concat_tsv(paths, out)
