"""What must hold before any verdict means something (``results/<dataset>/sanity.tsv``), one row per
check:

- ``beats_chance``: per classifier, does the reference arm beat chance on the primary metric? The
  one-sided (1 - alpha) lower bound of (reference - chance), paired by fold with the corrected
  variance, must be above 0. Chance is its expectation on each fold (the mean of many draws of a
  stratified random classifier trained on the fold's real training labels), not the one noisy
  draw of the ``chance`` classifier. Where it fails, ``equivalent`` and ``identical`` are withheld.
- ``enn_removed_class``: a class ENN removed entirely from an arm's SMOTEENN set (its real images
  are restored), with the folds where it happened.
- ``gate_cannot_fail``: a class of a GAN arm whose gate had nothing to judge it by (JS and the
  two-sample test not judged below ``gate.min_images`` real images; a fidelity bar at or below 0),
  so whatever the GAN drew was accepted.
- ``resolution``: per metric, how much one test prediction moves it on a fold (the median and the
  largest over the folds), beside the rope.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..metrics import REGISTRY
from .paired import corrected_ttest

SANITY_COLUMNS = ["dataset", "check", "subject", "class", "metric", "folds_affected", "folds", "reference_mean",
                  "chance_mean", "lower_bound", "median_points", "max_points", "rope_points", "passed", "detail"]
CHANCE_DRAWS = 200  # stratified draws per fold: the chance expectation's standard error is below 0.5 points


def _parts(folds: pd.DataFrame):
    for (repeat, fold), part in folds.groupby(["repeat", "fold"], sort=True):
        yield int(repeat), int(fold), part


def chance_expectation(folds: pd.DataFrame, metric: str, draws: int = CHANCE_DRAWS, seed: int = 0) -> pd.DataFrame:
    """Per repeat x fold, the expected ``metric`` of a stratified random classifier (scikit-learn's
    DummyClassifier(strategy="stratified"): labels drawn with the fold's real training class
    frequencies, its scores one-hot) on the fold's real test labels: the mean of ``draws`` draws."""
    score = REGISTRY[metric].score
    classes = sorted(set(folds["label"].astype(str)))
    rows = []
    for repeat, fold, part in _parts(folds):
        train = part.loc[part["role"] == "train", "label"].astype(str)
        y_true = part.loc[part["role"] == "test", "label"].astype(str).to_numpy()
        priors = train.value_counts(normalize=True).reindex(classes, fill_value=0.0).to_numpy()
        rng = np.random.default_rng([seed, repeat, fold])
        values = []
        for _ in range(draws):
            drawn = rng.choice(len(classes), size=len(y_true), p=priors)
            values.append(score(y_true, np.asarray(classes)[drawn], np.eye(len(classes))[drawn], classes))
        rows.append({"repeat": repeat, "fold": fold, "chance": float(np.mean(values))})
    return pd.DataFrame(rows, columns=["repeat", "fold", "chance"])


def beats_chance(metrics: pd.DataFrame, expectation: pd.DataFrame, reference: str, metric: str, folds: int,
                 alpha: float, sanity: tuple[str, ...]) -> list[dict]:
    """One ``beats_chance`` row per dataset x classifier (not the sanity classifiers) where the
    reference arm ran. ``passed``: the lower bound is above 0; None with fewer than 2 folds."""
    from scipy import stats

    rows = []
    mine = metrics[(metrics["arm"] == reference) & ~metrics["classifier"].isin(sanity)]
    for (dataset, classifier), block in mine.groupby(["dataset", "classifier"], sort=False):
        paired = block.merge(expectation, on=["repeat", "fold"]).dropna(subset=[metric])
        test = corrected_ttest((paired[metric] - paired["chance"]).to_numpy(), 1.0 / (folds - 1), alpha)
        bound = np.nan
        if test["n"] >= 2:
            bound = test["mean"] - (float(stats.t.ppf(1 - alpha, test["df"])) * test["se"] if test["se"] > 0 else 0.0)
        passed = None if np.isnan(bound) else bool(bound > 0)
        rows.append({"dataset": dataset, "check": "beats_chance", "subject": classifier, "metric": metric,
                     "folds": test["n"], "reference_mean": float(paired[metric].mean()),
                     "chance_mean": float(paired["chance"].mean()), "lower_bound": bound, "passed": passed,
                     "detail": f"{reference} - chance on {metric}: one-sided {100 * (1 - alpha):g}% lower bound "
                               f"{'n/a' if np.isnan(bound) else f'{100 * bound:+.1f}'} points"})
    return rows


def enn_removed(class_counts: pd.DataFrame, dataset: str) -> list[dict]:
    """A row per arm x class that ENN removed entirely in some folds (Table 2's ``after_enn`` step
    at 0); ``folds`` counts the arm's folds."""
    after = class_counts[class_counts["step"] == "after_enn"]
    rows = []
    for (arm, label), block in after.groupby(["arm", "label"], sort=False):
        wiped = int((block["total"] == 0).sum())
        if wiped:
            rows.append({"dataset": dataset, "check": "enn_removed_class", "subject": arm, "class": label,
                         "folds_affected": wiped, "folds": len(block), "passed": False,
                         "detail": f"ENN removed every image of {label} in {wiped} of {len(block)} folds; its real "
                                   "images were restored, with no SMOTE image"})
    return rows


def gate_cannot_fail(js: pd.DataFrame, gate: dict, dataset: str) -> list[dict]:
    """A row per GAN arm x class whose gate could not refuse it in some runs: every deciding
    criterion vacuous (JS and the two-sample test not judged; a fidelity bar at or below 0);
    sharpness always judges."""
    criteria = set(gate["criteria"])
    if "sharpness" in criteria or js.empty:
        return []
    first = js.sort_values("checkpoint").groupby(["arm", "repeat", "fold", "class"], sort=False).head(1)
    first = first.assign(fidelity_bar=first["real_recall"] - gate["fidelity_margin"])
    vacuous = pd.Series(True, index=first.index)
    reasons = []
    for criterion, empty, why in (
            ("js", ~first["js_judged"].astype(str).eq("True"), f"JS not judged (fewer than {gate['min_images']} "
                                                              "real images)"),
            ("c2st", ~first["js_judged"].astype(str).eq("True"), "the two-sample test not judged"),
            ("fidelity", first["fidelity_bar"] <= 0, f"fidelity bar at or below 0 (real recall - "
                                                     f"{gate['fidelity_margin']:g})")):
        if criterion in criteria:
            vacuous &= empty
            reasons.append(why)
    rows = []
    for (arm, label), block in first[vacuous].groupby(["arm", "class"], sort=False):
        runs = int(first[(first["arm"] == arm) & (first["class"] == label)].shape[0])
        rows.append({"dataset": dataset, "check": "gate_cannot_fail", "subject": arm, "class": label,
                     "folds_affected": len(block), "folds": runs, "passed": False,
                     "detail": f"the gate could not refuse {label} in {len(block)} of {runs} runs: "
                               + "; ".join(reasons)})
    return rows


def resolution(predictions: pd.DataFrame, reference: str, classifier: str, dataset: str,
               ropes: dict[str, float]) -> list[dict]:
    """Per metric, how far one test prediction moves it: on each fold of the reference arm's
    ``classifier``, for each test image the largest change that moving its prediction to another
    class causes (its scores one-hot on that class); the median of the folds' medians over their
    images, and the largest over every fold and image, in points."""
    mine = predictions[(predictions["arm"] == reference) & (predictions["classifier"] == classifier)]
    if mine.empty:
        return []
    score_columns = [c for c in mine.columns if c.startswith("score_")]
    classes = [c.removeprefix("score_") for c in score_columns]
    per_fold = {m: [] for m in REGISTRY}  # (median, largest) of each fold
    for _, part in mine.groupby(["repeat", "fold"], sort=True):
        y_true, y_pred = part["y_true"].astype(str).to_numpy(), part["y_pred"].astype(str).to_numpy()
        scores = part[score_columns].to_numpy(float)
        if set(classes) - set(y_true):
            continue  # a class missing from the test fold: its metrics are NaN
        for name, metric in REGISTRY.items():
            base = metric.score(y_true, y_pred, scores, classes)
            moves = []
            for i in range(len(y_true)):
                largest = 0.0
                for k, other in enumerate(classes):
                    if other == y_pred[i]:
                        continue
                    pred, sc = y_pred.copy(), scores.copy()
                    pred[i], sc[i] = other, np.eye(len(classes))[k]
                    largest = max(largest, abs(metric.score(y_true, pred, sc, classes) - base))
                moves.append(largest)
            per_fold[name].append((float(np.median(moves)), float(np.max(moves))))
    rows = []
    for name, values in per_fold.items():
        if values:
            median, largest = 100 * float(np.median([v[0] for v in values])), 100 * max(v[1] for v in values)
            rows.append({"dataset": dataset, "check": "resolution", "subject": classifier, "metric": name,
                         "folds": len(values), "median_points": median, "max_points": largest,
                         "rope_points": ropes.get(name, np.nan),
                         "detail": f"one test prediction moves {name} by a median {median:.1f} points on a fold, "
                                   f"at most {largest:.1f}; the rope is {ropes.get(name, np.nan):g}"})
    return rows


def dataset_checks(metrics: pd.DataFrame, folds_table: pd.DataFrame, class_counts: pd.DataFrame,
                   predictions: pd.DataFrame, js: pd.DataFrame | None, settings: dict, gate: dict, folds: int,
                   classifier: str, sanity: tuple[str, ...]) -> pd.DataFrame:
    """Every check of one dataset as ``sanity.tsv``. ``settings``: its statistics section;
    ``classifier``: the one whose reference arm the resolution is measured on."""
    dataset = str(metrics["dataset"].iloc[0])
    primary, reference = settings["primary_metric"], settings["reference"]
    rows = beats_chance(metrics, chance_expectation(folds_table, primary), reference, primary, folds,
                        settings["alpha"], sanity)
    rows += enn_removed(class_counts, dataset)
    if js is not None:
        rows += gate_cannot_fail(js, gate, dataset)
    rows += resolution(predictions, reference, classifier, dataset, dict(settings["rope"]))
    return pd.DataFrame(rows, columns=SANITY_COLUMNS)


def at_chance(checks: pd.DataFrame) -> list[tuple[str, str]]:
    """(dataset, classifier) whose reference does not beat chance (a check that could not be made,
    with fewer than 2 folds, withholds nothing)."""
    failed = checks[(checks["check"] == "beats_chance") & (checks["passed"].astype(str) == "False")]
    return list(zip(failed["dataset"], failed["subject"]))


def sanity_table(rows: list[dict]) -> pd.DataFrame:
    """Check rows as ``sanity.tsv``'s table."""
    return pd.DataFrame(rows, columns=SANITY_COLUMNS)
