"""Across datasets: the arms' mean ranks with Friedman's test and Iman and Davenport's F (Demsar
2006); each arm against the reference by Wilcoxon's signed-rank test over the datasets, with Holm
across the arms (a comparison with a control: not a mean-rank post hoc, whose verdict on two arms
depends on which other arms ran; Benavoli, Corani & Mangili 2016), and, from 5 datasets, the
Bayesian signed-rank test (Benavoli et al. 2014); and the thesis' claim (smoteenn_cgan vs cgan with
f1_adaboost) per dataset and over datasets, with Wilcoxon's test there too.

With N datasets the exact two-sided Wilcoxon p-value is never below 2 / 2^N (0.25 at 3 datasets,
0.125 at 4, 0.0625 at 5, 0.031 at 6): where that is at or above alpha, nothing can be tested and
only the ranks and the signs are given.
"""

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
    "classifier", "metric", "arm", "n_datasets", "mean_rank", "friedman_chi2", "friedman_p",
    "iman_davenport_f", "iman_davenport_p", "reference", "n_higher", "n_lower", "wilcoxon_p", "wilcoxon_p_holm",
    "min_attainable_p", "bayes_p_lower", "bayes_p_rope", "bayes_p_higher", "verdict", "note",
]
THESIS_COLUMNS = [
    "dataset", "metric", "n_datasets", "n", "cgan_mean", "smoteenn_cgan_mean",
    "change_points", "change_relative_pct",
    "ci_low_points", "ci_high_points", "ci_low_relative_pct", "ci_high_relative_pct",
    "n_higher", "n_lower", "wilcoxon_p", "min_attainable_p", "verdict", "thesis_pct",
]
MIN_BAYES_DATASETS = 5  # the Bayesian signed-rank test's posterior says little below this
RANKS_ONLY = "ranks and signs only"



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
        return "2 datasets: mean ranks only; Friedman's test needs 3 or more"
    if n_arms < 3:
        return f"{n_arms} arms: Friedman needs 3 or more; see the pairwise comparisons"
    if n_datasets < 10:
        # Demsar (2006): the chi-square approximation wants N > 10; with few datasets it has little power.
        return f"{n_datasets} datasets: Friedman has little power below about 10 (Demsar 2006)"
    return ""


def iman_davenport(chi2: float, n_datasets: int, n_arms: int) -> tuple[float, float]:
    """Iman and Davenport's F from Friedman's chi-square (Demsar 2006, eq. 2), less conservative:
    F = (N - 1) chi2 / (N (k - 1) - chi2) with (k - 1, (k - 1)(N - 1)) degrees of freedom. Ranks in
    full agreement give chi2 = N (k - 1): F is infinite and p = 0."""
    from scipy import stats

    if not np.isfinite(chi2):
        return np.nan, np.nan
    denominator = n_datasets * (n_arms - 1) - chi2
    if denominator <= 0:
        return np.inf, 0.0
    f = (n_datasets - 1) * chi2 / denominator
    return float(f), float(stats.f.sf(f, n_arms - 1, (n_arms - 1) * (n_datasets - 1)))


def min_attainable_p(n: int) -> float:
    """The smallest exact two-sided p-value of Wilcoxon's signed-rank test on n nonzero differences."""
    return min(1.0, 2.0 * 0.5 ** n) if n > 0 else 1.0


def wilcoxon_over_datasets(differences: np.ndarray) -> dict[str, float]:
    """Wilcoxon's signed-rank test of per-dataset differences (exact where possible, zeros
    dropped), with the signs and the smallest p-value the number of datasets allows."""
    from scipy import stats

    d = np.asarray(differences, dtype=float)
    d = d[np.isfinite(d)]
    nonzero = d[d != 0]
    out = dict(n_higher=int((d > 0).sum()), n_lower=int((d < 0).sum()), wilcoxon_p=np.nan,
               min_attainable_p=min_attainable_p(len(nonzero)))
    if len(nonzero):
        out["wilcoxon_p"] = float(stats.wilcoxon(nonzero, zero_method="wilcox", alternative="two-sided").pvalue)
    return out


def bayesian_signed_rank(differences: np.ndarray, rope: float, prior: float = 0.5, samples: int = 20000,
                         seed: int = 0) -> dict[str, float]:
    """The Bayesian signed-rank test (Benavoli, Mangili, Corani, Zaffalon & Ruggeri, ICML 2014): a
    Dirichlet process over the differences with a pseudo-observation at 0 of weight ``prior``; per
    posterior sample the chances that a random Walsh average (a pair's mean) lies below -rope,
    within it or above it; returned: how often each is the largest of the three."""
    d = np.concatenate(([0.0], np.asarray(differences, dtype=float)))
    sums = d[:, None] + d[None, :]

    def heaviside(a: np.ndarray) -> np.ndarray:
        return (a > 2 * rope).astype(float) + 0.5 * (a == 2 * rope)

    weights = np.random.default_rng(seed).dirichlet(np.r_[prior, np.ones(len(d) - 1)], samples)
    below = np.einsum("si,ij,sj->s", weights, heaviside(-sums), weights)
    above = np.einsum("si,ij,sj->s", weights, heaviside(sums), weights)
    winner = np.stack([below, 1.0 - below - above, above], axis=1).argmax(axis=1)
    counts = np.bincount(winner, minlength=3) / samples
    return dict(bayes_p_lower=float(counts[0]), bayes_p_rope=float(counts[1]), bayes_p_higher=float(counts[2]))


def _against_reference(block: pd.DataFrame, reference: str, rope: float, alpha: float,
                       bayes: bool = True) -> dict[str, dict]:
    """Per arm: Wilcoxon against the reference over the datasets, Holm across the arms, the
    Bayesian signed-rank test from MIN_BAYES_DATASETS datasets, and a verdict."""
    from .paired import holm_adjust

    if reference not in block:
        return {}
    tests = {arm: wilcoxon_over_datasets((block[arm] - block[reference]).to_numpy())
             for arm in block if arm != reference}
    for test, p_holm in zip(tests.values(), holm_adjust([t["wilcoxon_p"] for t in tests.values()])):
        test["wilcoxon_p_holm"] = p_holm
    for arm, test in tests.items():
        if bayes and len(block) >= MIN_BAYES_DATASETS:
            test.update(bayesian_signed_rank((block[arm] - block[reference]).to_numpy(), rope))
        if test["min_attainable_p"] >= alpha:
            test["verdict"] = RANKS_ONLY
        elif test["wilcoxon_p_holm"] < alpha:
            test["verdict"] = "higher" if test["n_higher"] > test["n_lower"] else "lower"
        else:
            test["verdict"] = "not told apart"
    return tests


def across_datasets(metrics: pd.DataFrame, arms: Sequence[str] | None = None, reference: str = "original",
                    ropes: dict[str, float] | None = None, alpha: float = ALPHA) -> pd.DataFrame:
    """Mean rank of each arm over datasets per classifier x metric, with Friedman's test and Iman
    and Davenport's F; and each arm against ``reference`` over the datasets (Wilcoxon, Holm across
    the arms; the Bayesian signed-rank test with ``ropes``, points per metric, from 5 datasets).

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
            f, f_p = iman_davenport(chi2, n_datasets, n_arms)
            note = _friedman_note(n_datasets, n_arms)
            rope = (ropes or {}).get(metric, 3.0) / 100.0
            against = _against_reference(block, reference, rope, alpha)
            for arm, mean_rank in _ranks(block).mean(axis="index").items():
                rows.append(dict(classifier=classifier, metric=metric, arm=arm, n_datasets=n_datasets,
                                 mean_rank=float(mean_rank), friedman_chi2=chi2, friedman_p=p, iman_davenport_f=f,
                                 iman_davenport_p=f_p, reference=reference if reference in block else "",
                                 **against.get(arm, {}), note=note))
    return pd.DataFrame(rows, columns=RANK_COLUMNS)


def reference_tests(metrics: pd.DataFrame, classifier: str, metric: str, arms: Sequence[str] | None,
                    reference: str, alpha: float = ALPHA) -> tuple[pd.Series, pd.DataFrame] | None:
    """Mean ranks (index arm, 1 = best) and a p-value matrix (arm x arm) holding, for each arm and
    the reference, the Holm-adjusted Wilcoxon p-value over the datasets (NaN elsewhere: no other
    pair is tested); None below 3 datasets. Ready for a critical-difference diagram."""
    block = _dataset_arm_block(metrics, classifier, metric, arms)
    if block.shape[0] < 3 or block.shape[1] < 2:
        return None
    ranks = _ranks(block).mean(axis="index").rename("mean_rank")
    ranks.index.name = "arm"
    p_values = pd.DataFrame(np.nan, index=list(block.columns), columns=list(block.columns))
    for arm, test in _against_reference(block, reference, 0.0, alpha, bayes=False).items():
        p_values.loc[arm, reference] = p_values.loc[reference, arm] = test["wilcoxon_p_holm"]
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
        signs = wilcoxon_over_datasets(measured["change_points"].to_numpy())
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
            ci_low_relative_pct=ci_relative[0], ci_high_relative_pct=ci_relative[1], **signs,
            verdict=note + (f"; Wilcoxon over datasets: {RANKS_ONLY} (its smallest p is "
                            f"{signs['min_attainable_p']:.3g})" if signs["min_attainable_p"] >= alpha else ""),
            thesis_pct=THESIS_CLAIM[metric],
        ))
    return pd.DataFrame(rows, columns=THESIS_COLUMNS)
