"""The paired comparisons of one dataset's arms (``statistics.tsv``): per classifier x metric x
(arm, baseline) pair, the tests of :mod:`.paired` and one verdict.

The verdict is decided in this order: ``no paired folds`` (n = 0), ``too few folds to test``
(n < 5: the mean difference only), ``identical`` (every paired difference 0), ``constant
difference`` (every paired difference the same, not 0: no variance, no t-test), ``higher`` /
``lower`` (Holm-adjusted corrected-t p < alpha), written ``higher, within the rope`` where the
whole CI lies inside +-rope (a difference too small to matter), ``equivalent`` (TOST, its p-values
Holm-adjusted over the same family: the 1 - 2 x level corrected CI inside +-rope at the row's Holm
level), else ``inconclusive``. Where the reference does not beat chance (:mod:`.sanity`),
``equivalent`` and ``identical`` are withheld: models that learned nothing agree. The chance
classifier is a sanity row: its numbers are computed, it gets no verdict.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..method import CHANCE_CLASSIFIER, COMPARED_ARM, METHOD_ARM
from ..metrics import METRICS
from ..schema import defaults
from .paired import (ALPHA, corrected_ttest, detectable_difference, detectable_floor, equivalence_test, holm_adjust,
                     holm_levels, posterior_probabilities, repeats_needed)

MIN_PAIRS = 5  # fewer paired folds than this: report the difference, test nothing
# the defaults of compare_arms: the schema's (ALPHA: the level of the tests and 1 - the intervals' coverage)
REFERENCE_ARM = defaults("statistics")["reference"]
PRIMARY_METRIC = defaults("statistics")["primary_metric"]
ROPE = {m: float(v) for m, v in defaults("statistics")["rope"].items()}  # points, per metric
SANITY_CLASSIFIERS = (CHANCE_CLASSIFIER,)  # compared like the others, never given a verdict
HYBRID_PAIRS = [(METHOD_ARM, COMPARED_ARM), (METHOD_ARM, "smoteenn")]  # the thesis's contrasts

COMPARISON_COLUMNS = [
    "dataset", "classifier", "metric", "arm", "baseline", "n",
    "arm_mean", "baseline_mean", "mean_diff", "rel_change_pct",
    "ci_low", "ci_high", "rel_ci_low_pct", "rel_ci_high_pct",
    "t", "df", "p_corrected", "p_holm", "p_wilcoxon",
    "ratio_used", "ratio_measured",
    "rope_points", "tost_ci_low", "tost_ci_high", "p_tost", "p_tost_holm", "tost_level",
    "p_lower", "p_rope", "p_higher",
    "holm_level", "detectable_points", "detectable_floor_points", "repeats_for_rope",
    "metric_role", "verdict",
]
_KEYS = ["dataset", "classifier", "metric", "arm", "baseline"]

IDENTICAL = "identical"
TOO_FEW = "too few folds to test"
NO_PAIRS = "no paired folds"
EQUIVALENT = "equivalent"
INCONCLUSIVE = "inconclusive"
HIGHER, LOWER = "higher", "lower"
HIGHER_IN_ROPE, LOWER_IN_ROPE = "higher, within the rope", "lower, within the rope"
CONSTANT = "constant difference"
AT_CHANCE = "withheld: the reference is at chance"
NO_VERDICT = ""  # the sanity rows'
DIFFERENCES = (HIGHER, LOWER, HIGHER_IN_ROPE, LOWER_IN_ROPE)  # Holm-adjusted corrected-t p < alpha


def direction(verdict: str) -> int:
    """+1 for the higher verdicts, -1 for the lower ones, 0 otherwise."""
    return 1 if verdict in (HIGHER, HIGHER_IN_ROPE) else -1 if verdict in (LOWER, LOWER_IN_ROPE) else 0


def comparison_pairs(arms: Sequence[str], reference: str = REFERENCE_ARM) -> list[tuple[str, str]]:
    """(arm, baseline) pairs: each arm against the reference, then the hybrid's two contrasts.

    Pairs whose arms are not both in ``arms`` are left out silently: users configure their own arms.
    """
    present = list(dict.fromkeys(arms))  # drop repeats, keep order
    pairs: list[tuple[str, str]] = []
    if reference in present:
        pairs += [(arm, reference) for arm in present if arm != reference]
    for arm, baseline in HYBRID_PAIRS:
        if arm in present and baseline in present and (arm, baseline) not in pairs:
            pairs.append((arm, baseline))
    return pairs


def measured_test_train_ratio(folds: pd.DataFrame) -> float:
    """Mean over repeat x fold of n_test / n_train, counted from folds.tsv's ``role`` column."""
    counts = folds.groupby(["repeat", "fold"])["role"].value_counts().unstack(fill_value=0)
    if counts.empty or "test" not in counts or "train" not in counts or (counts["train"] == 0).any():
        raise ValueError("folds table needs train and test rows in every repeat x fold")
    return float((counts["test"] / counts["train"]).mean())


def check_rope(rope: Mapping[str, float] | None) -> dict[str, float]:
    """The rope of every metric in points: ``rope`` over :data:`ROPE`; each finite and > 0."""
    merged = {**ROPE, **(rope or {})}
    for metric, value in merged.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            raise ValueError(f"statistics.rope.{metric} must be a finite number of points > 0, got {value!r}")
    return {m: float(v) for m, v in merged.items()}


def _relative_pct(value: float, baseline_mean: float) -> float:
    """100 * value / baseline_mean; NaN when the baseline mean is 0 or missing (no relative scale)."""
    if not np.isfinite(baseline_mean) or baseline_mean == 0.0:
        return np.nan
    return 100.0 * value / baseline_mean


def _compare_pair(arm_values: np.ndarray, baseline_values: np.ndarray, ratio: float,
                  alpha: float, min_pairs: int, rope: float) -> dict[str, object]:
    """One row of compare_arms before Holm: its numbers, and its verdict if no test decides it."""
    from scipy import stats

    paired = ~(np.isnan(arm_values) | np.isnan(baseline_values))  # a NaN on either side drops the pair
    arm_values, baseline_values = arm_values[paired], baseline_values[paired]
    differences = arm_values - baseline_values
    n = int(differences.size)
    row: dict[str, object] = {column: np.nan for column in COMPARISON_COLUMNS if column not in _KEYS}
    row.update(n=n, rope_points=100.0 * rope, verdict=None)
    if n == 0:
        row["verdict"] = NO_PAIRS
        return row
    arm_mean, baseline_mean = float(arm_values.mean()), float(baseline_values.mean())
    mean_diff = float(differences.mean())
    row.update(arm_mean=arm_mean, baseline_mean=baseline_mean, mean_diff=mean_diff,
               rel_change_pct=_relative_pct(arm_mean - baseline_mean, baseline_mean))
    if n < min_pairs:
        row["verdict"] = TOO_FEW
        return row
    if (differences == differences[0]).all():
        # The same difference on every fold: the interval is that point, and there is no variance to
        # test with (a t-test would call a constant 0.1 point "higher" with p = 0).
        value = float(differences[0])
        row.update(ci_low=value, ci_high=value, rel_ci_low_pct=_relative_pct(value, baseline_mean),
                   rel_ci_high_pct=_relative_pct(value, baseline_mean), tost_ci_low=value, tost_ci_high=value,
                   **posterior_probabilities(value, 0.0, float(n - 1), rope),
                   verdict=IDENTICAL if value == 0.0 else CONSTANT)
        return row
    test = corrected_ttest(differences, ratio, alpha)
    tost = equivalence_test(test["mean"], test["se"], test["df"], rope, alpha)
    row.update(ci_low=test["ci_low"], ci_high=test["ci_high"],
               rel_ci_low_pct=_relative_pct(test["ci_low"], baseline_mean),
               rel_ci_high_pct=_relative_pct(test["ci_high"], baseline_mean),
               t=test["t"], df=test["df"], p_corrected=test["p"], tost_ci_low=tost["ci_low"],
               tost_ci_high=tost["ci_high"], p_tost=tost["p"], _sd=test["sd"], _se=test["se"],
               p_wilcoxon=float(stats.wilcoxon(differences).pvalue),
               **posterior_probabilities(test["mean"], test["se"], test["df"], rope))
    return row


def _close_family(family: list[dict], alpha: float, folds: int, sanity: bool) -> None:
    """Holm over one dataset x classifier x metric, for the difference tests and, apart, for the
    equivalence tests (whose interval is then the one at the row's Holm level); the power at each
    row's Holm level; the verdicts."""
    p, p_tost = [row["p_corrected"] for row in family], [row["p_tost"] for row in family]
    for row, p_holm, level, tost_holm, tost_level in zip(family, holm_adjust(p), holm_levels(p, alpha),
                                                          holm_adjust(p_tost), holm_levels(p_tost, alpha)):
        row.update(p_holm=p_holm, holm_level=level, p_tost_holm=tost_holm, tost_level=tost_level)
        sd, se = row.pop("_sd", np.nan), row.pop("_se", np.nan)
        rope = row["rope_points"] / 100.0
        if np.isfinite(tost_level):
            tost = equivalence_test(row["mean_diff"], se, row["df"], rope, tost_level)
            row.update(tost_ci_low=tost["ci_low"], tost_ci_high=tost["ci_high"])
        if np.isfinite(level) and se > 0:
            row.update(detectable_points=100.0 * float(detectable_difference(se, row["df"], level)),
                       detectable_floor_points=100.0 * detectable_floor(sd, folds, level),
                       repeats_for_rope=repeats_needed(rope, sd, folds, level))
        if sanity:
            row["verdict"] = NO_VERDICT
        elif row["verdict"] is None:
            if p_holm < alpha:
                inside = -rope < row["ci_low"] and row["ci_high"] < rope
                higher = row["mean_diff"] > 0
                row["verdict"] = (HIGHER_IN_ROPE if higher else LOWER_IN_ROPE) if inside else (HIGHER if higher else LOWER)
            elif tost_holm < alpha:
                row["verdict"] = EQUIVALENT
            else:
                row["verdict"] = INCONCLUSIVE


def compare_arms(metrics: pd.DataFrame, pairs: Sequence[tuple[str, str]], folds: int,
                 measured_ratio: float | None = None, alpha: float = ALPHA, min_pairs: int = MIN_PAIRS,
                 rope: Mapping[str, float] | None = None,
                 sanity: Sequence[str] = SANITY_CLASSIFIERS, primary_metric: str = PRIMARY_METRIC,
                 at_chance: Sequence[tuple[str, str]] = ()) -> pd.DataFrame:
    """Paired comparison of arms per dataset x classifier x metric x (arm, baseline) pair.

    Folds are paired on (repeat, fold). The corrected t-test uses n_test/n_train = 1/(folds - 1)
    (``ratio_used``); ``measured_ratio`` (from folds.tsv) is only reported beside it. Holm runs over
    the pairs of one dataset x classifier x metric that got a p-value. ``rope``: metric -> points
    (missing metrics: :data:`ROPE`). Classifiers in ``sanity`` get no verdict. A pair with an arm
    absent from a dataset x classifier gives no row. ``primary_metric`` is the one that decides
    whether an arm beat its baseline (``metric_role``); ``at_chance``: (dataset, classifier) whose
    reference does not beat chance, where equivalent and identical are withheld.
    """
    if folds < 2:
        raise ValueError(f"folds must be 2 or more, got {folds}")
    if min_pairs < 2:
        raise ValueError(f"min_pairs must be 2 or more (a variance needs two), got {min_pairs}")
    ropes = check_rope(rope)
    keys = ["dataset", "arm", "classifier", "repeat", "fold"]
    duplicated = metrics.duplicated(keys)
    if duplicated.any():
        raise ValueError(f"metrics has {int(duplicated.sum())} repeated {' x '.join(keys)} rows")
    ratio = 1.0 / (folds - 1)
    rows: list[dict[str, object]] = []
    for (dataset, classifier), block in metrics.groupby(["dataset", "classifier"], sort=False):
        present = set(block["arm"])
        for metric in METRICS:
            by_fold = block.pivot(index=["repeat", "fold"], columns="arm", values=metric)
            family: list[dict[str, object]] = []
            for arm, baseline in pairs:
                if arm not in present or baseline not in present:
                    continue
                row = _compare_pair(by_fold[arm].to_numpy(float), by_fold[baseline].to_numpy(float),
                                    ratio, alpha, min_pairs, ropes[metric] / 100.0)
                row.update(dataset=dataset, classifier=classifier, metric=metric, arm=arm,
                           baseline=baseline, ratio_used=ratio,
                           ratio_measured=np.nan if measured_ratio is None else float(measured_ratio))
                family.append(row)
            _close_family(family, alpha, folds, classifier in sanity)
            for row in family:
                row["metric_role"] = "primary" if metric == primary_metric else "secondary"
                if (dataset, classifier) in set(at_chance) and row["verdict"] in (EQUIVALENT, IDENTICAL):
                    row["verdict"] = AT_CHANCE
            rows += family
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def summarise(metrics: pd.DataFrame) -> pd.DataFrame:
    """dataset, arm, classifier, n (folds with a value), and mean and sd (ddof=1) of each metric."""
    grouped = metrics.groupby(["dataset", "arm", "classifier"], sort=False)
    table = grouped[METRICS[0]].count().rename("n").to_frame()
    for m in METRICS:
        table[f"{m}_mean"] = grouped[m].mean()
        table[f"{m}_sd"] = grouped[m].std(ddof=1)
    return table.reset_index()
