"""Across datasets: the arms' mean ranks with Friedman's test and the Nemenyi post-hoc test
(Demsar 2006), and the thesis' claim (smoteenn_cgan vs cgan with f1_adaboost) per dataset and
averaged over datasets."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..method import COMPARED_ARM, METHOD_ARM, METHOD_CLASSIFIER, THESIS_CLAIM
from ..metrics import METRICS
from .compare import ALPHA

# the thesis' "%" is not said to be relative or percentage points, so thesis_claim reports both
THESIS_ARM, THESIS_BASELINE = METHOD_ARM, COMPARED_ARM
MEAN_ROW = "mean over datasets"

RANK_COLUMNS = [
    "classifier", "metric", "arm", "n_datasets", "mean_rank", "friedman_chi2", "friedman_p", "note",
]
THESIS_COLUMNS = [
    "dataset", "metric", "n_datasets", "n", "cgan_mean", "smoteenn_cgan_mean",
    "change_points", "change_relative_pct",
    "ci_low_points", "ci_high_points", "ci_low_relative_pct", "ci_high_relative_pct",
    "verdict", "thesis_pct",
]



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
