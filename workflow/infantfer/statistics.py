"""Statistics over the folds' metrics: what the comparison of the arms says.

Computed from ``metrics.tsv`` alone, never by refitting. The module imports only numpy and pandas;
scipy, statsmodels and scikit-posthocs are imported inside the functions that need them, so the
jobs that only summarise start in a fraction of a second.

Within one dataset, arms are compared fold by fold with the Nadeau-Bengio corrected resampled
t-test (Nadeau & Bengio 2003; Bouckaert & Frank 2004), Holm-adjusted over the comparisons of one
dataset x classifier x metric, with a Wilcoxon signed-rank p-value beside it. Across datasets,
arms are ranked per dataset and compared with Friedman's test and the Nemenyi post-hoc test
(Demsar 2006).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .method import COMPARED_ARM, METHOD_ARM, METHOD_CLASSIFIER, METRICS, THESIS_CLAIM  # noqa: F401 (re-exported)

ALPHA = 0.05  # significance level of the tests, and 1 - coverage of the intervals
MIN_PAIRS = 5  # fewer paired folds than this: report the difference, test nothing
REFERENCE_ARM = "original"
HYBRID_PAIRS = [(METHOD_ARM, COMPARED_ARM), (METHOD_ARM, "smoteenn")]  # the thesis's contrasts

# the thesis' "%" is not said to be relative or percentage points, so thesis_claim reports both
THESIS_ARM, THESIS_BASELINE = METHOD_ARM, COMPARED_ARM
MEAN_ROW = "mean over datasets"

COMPARISON_COLUMNS = [
    "dataset", "classifier", "metric", "arm", "baseline", "n",
    "arm_mean", "baseline_mean", "mean_diff", "rel_change_pct",
    "ci_low", "ci_high", "rel_ci_low_pct", "rel_ci_high_pct",
    "t", "df", "p_corrected", "p_holm", "p_wilcoxon",
    "ratio_used", "ratio_measured", "verdict",
]
RANK_COLUMNS = [
    "classifier", "metric", "arm", "n_datasets", "mean_rank", "friedman_chi2", "friedman_p", "note",
]
THESIS_COLUMNS = [
    "dataset", "metric", "n_datasets", "n", "cgan_mean", "smoteenn_cgan_mean",
    "change_points", "change_relative_pct",
    "ci_low_points", "ci_high_points", "ci_low_relative_pct", "ci_high_relative_pct",
    "verdict", "thesis_pct",
]

IDENTICAL = "identical"
TOO_FEW = "too few folds to test"
NO_PAIRS = "no paired folds"
NO_DIFFERENCE = "no detectable difference"


def summarise(metrics: pd.DataFrame) -> pd.DataFrame:
    """dataset, arm, classifier, n (folds with a value), and mean and sd (ddof=1) of each metric."""
    grouped = metrics.groupby(["dataset", "arm", "classifier"], sort=False)
    table = grouped[METRICS[0]].count().rename("n").to_frame()
    for m in METRICS:
        table[f"{m}_mean"] = grouped[m].mean()
        table[f"{m}_sd"] = grouped[m].std(ddof=1)
    return table.reset_index()


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


def corrected_ttest(differences: Sequence[float] | np.ndarray, test_train_ratio: float,
                    alpha: float = ALPHA) -> dict[str, float]:
    """Nadeau-Bengio corrected resampled t-test of paired differences (NaNs dropped).

    var = (1/n + n_test/n_train) * s^2 (s^2 with ddof=1), t = mean / sqrt(var), df = n - 1,
    two-sided p, (1 - alpha) interval mean +- t_{1-alpha/2, df} * sqrt(var).

    Zero variance (n >= 2, every difference the same): se = 0 and the interval is (mean, mean).
    If that constant difference is 0 there is nothing to test (t and p NaN); otherwise it is the
    limit of the test as the variance goes to 0: t = +-inf, p = 0. n < 2: only n and mean.
    """
    from scipy import stats

    values = np.asarray(differences, dtype=float)
    values = values[~np.isnan(values)]
    n = int(values.size)
    result = dict(n=n, mean=np.nan, se=np.nan, t=np.nan, df=np.nan, p=np.nan,
                  ci_low=np.nan, ci_high=np.nan)
    if n == 0:
        return result
    mean = float(values.mean())
    result["mean"] = mean
    if n < 2:
        return result
    df = n - 1
    se = float(np.sqrt((1.0 / n + test_train_ratio) * values.var(ddof=1)))
    result.update(se=se, df=float(df))
    if se == 0.0:
        result.update(ci_low=mean, ci_high=mean)
        if mean != 0.0:
            result.update(t=float(np.copysign(np.inf, mean)), p=0.0)
        return result
    t = mean / se
    half_width = float(stats.t.ppf(1.0 - alpha / 2.0, df)) * se
    result.update(t=t, p=float(2.0 * stats.t.sf(abs(t), df)),
                  ci_low=mean - half_width, ci_high=mean + half_width)
    return result


def holm_adjust(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values (statsmodels); NaN p-values stay NaN and are not in the family."""
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p_values, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    tested = ~np.isnan(p)
    if tested.sum() == 1:
        # A family of one is its own adjustment; skips statsmodels' Holm, which calls gc.collect()
        # every time (about 0.1 s once pandas and scipy are loaded).
        adjusted[tested] = p[tested]
    elif tested.any():
        adjusted[tested] = multipletests(p[tested], method="holm")[1]
    return adjusted


def _relative_pct(value: float, baseline_mean: float) -> float:
    """100 * value / baseline_mean; NaN when the baseline mean is 0 or missing (no relative scale)."""
    if not np.isfinite(baseline_mean) or baseline_mean == 0.0:
        return np.nan
    return 100.0 * value / baseline_mean


def _compare_pair(arm_values: np.ndarray, baseline_values: np.ndarray, ratio: float,
                  alpha: float, min_pairs: int) -> dict[str, object]:
    """One row of compare_arms, without its keys and without p_holm."""
    from scipy import stats

    paired = ~(np.isnan(arm_values) | np.isnan(baseline_values))  # a NaN on either side drops the pair
    arm_values, baseline_values = arm_values[paired], baseline_values[paired]
    differences = arm_values - baseline_values
    n = int(differences.size)
    row: dict[str, object] = {column: np.nan for column in COMPARISON_COLUMNS[5:-1]}
    row["n"] = n
    if n == 0:
        row["verdict"] = NO_PAIRS
        return row
    arm_mean, baseline_mean = float(arm_values.mean()), float(baseline_values.mean())
    mean_diff = float(differences.mean())
    row.update(arm_mean=arm_mean, baseline_mean=baseline_mean, mean_diff=mean_diff,
               rel_change_pct=_relative_pct(arm_mean - baseline_mean, baseline_mean))
    if (differences == 0.0).all():
        # Same score on every fold: the interval is the point 0, and there is nothing to test.
        row.update(ci_low=0.0, ci_high=0.0, rel_ci_low_pct=_relative_pct(0.0, baseline_mean),
                   rel_ci_high_pct=_relative_pct(0.0, baseline_mean), verdict=IDENTICAL)
        return row
    if n < min_pairs:
        row["verdict"] = TOO_FEW
        return row
    test = corrected_ttest(differences, ratio, alpha)
    row.update(ci_low=test["ci_low"], ci_high=test["ci_high"],
               rel_ci_low_pct=_relative_pct(test["ci_low"], baseline_mean),
               rel_ci_high_pct=_relative_pct(test["ci_high"], baseline_mean),
               t=test["t"], df=test["df"], p_corrected=test["p"],
               p_wilcoxon=float(stats.wilcoxon(differences).pvalue), verdict=None)
    return row


def compare_arms(metrics: pd.DataFrame, pairs: Sequence[tuple[str, str]], folds: int,
                 measured_ratio: float | None = None, alpha: float = ALPHA,
                 min_pairs: int = MIN_PAIRS) -> pd.DataFrame:
    """Paired comparison of arms per dataset x classifier x metric x (arm, baseline) pair.

    Folds are paired on (repeat, fold). The corrected t-test uses n_test/n_train = 1/(folds - 1)
    (``ratio_used``); ``measured_ratio`` (from folds.tsv) is only reported beside it. Holm runs over
    the pairs of one dataset x classifier x metric that got a p-value. A pair with an arm absent
    from a dataset x classifier gives no row.
    """
    if folds < 2:
        raise ValueError(f"folds must be 2 or more, got {folds}")
    if min_pairs < 2:
        raise ValueError(f"min_pairs must be 2 or more (a variance needs two), got {min_pairs}")
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
                                    ratio, alpha, min_pairs)
                row.update(dataset=dataset, classifier=classifier, metric=metric, arm=arm,
                           baseline=baseline, ratio_used=ratio,
                           ratio_measured=np.nan if measured_ratio is None else float(measured_ratio))
                family.append(row)
            for row, p_holm in zip(family, holm_adjust([row["p_corrected"] for row in family])):
                row["p_holm"] = p_holm
                if row["verdict"] is None:
                    if p_holm < alpha:
                        row["verdict"] = "higher" if row["mean_diff"] > 0 else "lower"
                    else:
                        row["verdict"] = NO_DIFFERENCE
            rows += family
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def _dataset_arm_block(metrics: pd.DataFrame, classifier: str, metric: str,
                       arms: Sequence[str] | None) -> pd.DataFrame:
    """Mean metric over folds, index dataset, columns arm; only datasets with a value for every arm."""
    wanted = list(dict.fromkeys(metrics["arm"] if arms is None else arms))
    wanted = [arm for arm in wanted if arm in set(metrics["arm"])]  # unknown arms skipped silently
    rows = metrics[(metrics["classifier"] == classifier) & metrics["arm"].isin(wanted)]
    means = rows.groupby(["dataset", "arm"], sort=False)[metric].mean().unstack("arm")
    means = means.reindex(columns=wanted)
    return means.dropna(axis="index", how="any")


def _ranks(block: pd.DataFrame) -> pd.DataFrame:
    """Rank arms within each dataset: 1 = highest metric, ties share the average rank."""
    return block.rank(axis="columns", ascending=False, method="average")


def _friedman_note(n_datasets: int, n_arms: int) -> str:
    if n_datasets == 2:
        return "2 datasets: mean ranks only; Friedman and Nemenyi need 3 or more"
    if n_arms < 3:
        return f"{n_arms} arms: Friedman needs 3 or more; see the pairwise comparisons"
    if n_datasets < 10:
        # Demsar (2006): the chi-square approximation wants N > 10; with few datasets it has little power.
        return f"{n_datasets} datasets: Friedman has little power below about 10 (Demsar 2006)"
    return ""


def across_datasets(metrics: pd.DataFrame, arms: Sequence[str] | None = None) -> pd.DataFrame:
    """Mean rank of each arm over datasets per classifier x metric, with Friedman's test.

    Each arm's metric is averaged over folds per dataset and ranked within the dataset (1 = best =
    highest). Only datasets with a value for every arm count; fewer than 2 give no rows.
    """
    rows: list[dict[str, object]] = []
    for classifier in metrics["classifier"].drop_duplicates():
        for metric in METRICS:
            block = _dataset_arm_block(metrics, classifier, metric, arms)
            n_datasets, n_arms = block.shape
            if n_datasets < 2 or n_arms < 1:
                continue
            chi2 = p = np.nan
            if n_datasets >= 3 and n_arms >= 3:
                from scipy import stats

                with warnings.catch_warnings():  # all ties in every dataset: scipy warns, gives NaN
                    warnings.simplefilter("ignore", RuntimeWarning)
                    result = stats.friedmanchisquare(*(block[arm].to_numpy() for arm in block))
                chi2, p = float(result.statistic), float(result.pvalue)
            note = _friedman_note(n_datasets, n_arms)
            for arm, mean_rank in _ranks(block).mean(axis="index").items():
                rows.append(dict(classifier=classifier, metric=metric, arm=arm, n_datasets=n_datasets,
                                 mean_rank=float(mean_rank), friedman_chi2=chi2, friedman_p=p,
                                 note=note))
    return pd.DataFrame(rows, columns=RANK_COLUMNS)


def nemenyi(metrics: pd.DataFrame, classifier: str, metric: str,
            arms: Sequence[str] | None = None) -> tuple[pd.Series, pd.DataFrame] | None:
    """Mean ranks (index arm, 1 = best) and Nemenyi p-values (arm x arm); None below 3 datasets.

    Ready for scikit_posthocs.critical_difference_diagram(ranks, p_values).
    """
    block = _dataset_arm_block(metrics, classifier, metric, arms)
    if block.shape[0] < 3 or block.shape[1] < 2:
        return None
    import scikit_posthocs

    ranks = _ranks(block).mean(axis="index").rename("mean_rank")
    ranks.index.name = "arm"
    p_values = scikit_posthocs.posthoc_nemenyi_friedman(block.reset_index(drop=True))
    p_values = p_values.loc[list(block.columns), list(block.columns)]
    p_values.index.name, p_values.columns.name = "arm", "arm"
    return ranks, p_values


def _interval_over_datasets(values: pd.Series, alpha: float) -> tuple[float, float]:
    """t interval of the mean over datasets; (NaN, NaN) below 3 datasets."""
    from scipy import stats

    n = values.size
    if n < 3:
        return np.nan, np.nan
    mean, sem = float(values.mean()), float(values.std(ddof=1)) / np.sqrt(n)
    half_width = float(stats.t.ppf(1.0 - alpha / 2.0, n - 1)) * sem
    return mean - half_width, mean + half_width


def thesis_claim(comparisons: pd.DataFrame, classifier: str = METHOD_CLASSIFIER,
                 alpha: float = ALPHA) -> pd.DataFrame:
    """SMOTEENN+CGAN against CGAN beside the thesis's numbers, per dataset and over datasets.

    Changes in percentage points (100 * mean difference) and relative (% of the CGAN mean); the
    mean row averages the per-dataset changes, with a t interval over datasets from 3 of them.
    """
    chosen = comparisons[(comparisons["arm"] == THESIS_ARM)
                         & (comparisons["baseline"] == THESIS_BASELINE)
                         & (comparisons["classifier"] == classifier)]
    rows: list[dict[str, object]] = []
    for metric in METRICS:
        per_dataset = chosen[chosen["metric"] == metric]
        if per_dataset.empty:
            continue
        table = pd.DataFrame({
            "dataset": per_dataset["dataset"], "metric": metric, "n_datasets": 1,
            "n": per_dataset["n"], "cgan_mean": per_dataset["baseline_mean"],
            "smoteenn_cgan_mean": per_dataset["arm_mean"],
            "change_points": 100.0 * per_dataset["mean_diff"],
            "change_relative_pct": per_dataset["rel_change_pct"],
            "ci_low_points": 100.0 * per_dataset["ci_low"],
            "ci_high_points": 100.0 * per_dataset["ci_high"],
            "ci_low_relative_pct": per_dataset["rel_ci_low_pct"],
            "ci_high_relative_pct": per_dataset["rel_ci_high_pct"],
            "verdict": per_dataset["verdict"], "thesis_pct": THESIS_CLAIM[metric],
        })
        rows += table.to_dict("records")
        measured = table.dropna(subset=["change_points"])  # datasets without paired folds say nothing
        n_datasets = len(measured)
        ci_points = _interval_over_datasets(measured["change_points"], alpha)
        ci_relative = _interval_over_datasets(measured["change_relative_pct"].dropna(), alpha)
        datasets = f"{n_datasets} dataset{'' if n_datasets == 1 else 's'}"
        if n_datasets >= 3:
            note = f"mean of {datasets}; {100 * (1 - alpha):g}% t interval over datasets"
        else:
            note = f"mean of {datasets}; an interval over datasets needs 3 or more"
        rows.append(dict(
            dataset=MEAN_ROW, metric=metric, n_datasets=n_datasets, n=int(measured["n"].sum()),
            cgan_mean=measured["cgan_mean"].mean(),
            smoteenn_cgan_mean=measured["smoteenn_cgan_mean"].mean(),
            change_points=measured["change_points"].mean(),
            change_relative_pct=measured["change_relative_pct"].mean(),
            ci_low_points=ci_points[0], ci_high_points=ci_points[1],
            ci_low_relative_pct=ci_relative[0], ci_high_relative_pct=ci_relative[1],
            verdict=note, thesis_pct=THESIS_CLAIM[metric],
        ))
    return pd.DataFrame(rows, columns=THESIS_COLUMNS)
