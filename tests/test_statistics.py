"""The statistics of the arms' comparison, checked against hand-worked values and baycomp."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from infantfer import statistics as S

ARMS = ["original", "smoteenn", "cgan", "smoteenn_cgan"]


def metrics_table(values: dict[str, np.ndarray], dataset: str = "d", classifier: str = "f1_adaboost",
                  repeats: int = 3, folds: int = 5) -> pd.DataFrame:
    """metrics.tsv rows: one arm's values (repeat-major, one per repeat x fold) for every metric."""
    rows = []
    for arm, arm_values in values.items():
        arm_values = np.asarray(arm_values, dtype=float)
        assert arm_values.size == repeats * folds
        for i, value in enumerate(arm_values):
            rows.append(dict(dataset=dataset, arm=arm, classifier=classifier, repeat=i // folds,
                             fold=i % folds, **{metric: value for metric in S.METRICS}))
    return pd.DataFrame(rows)


def planted(seed: int, shift: float, independent: bool = False) -> pd.DataFrame:
    """3 repeats x 5 folds: cgan = original + shift + N(0, 0.01), or an independent N(0.7, 0.03)."""
    rng = np.random.default_rng(seed)
    baseline = rng.normal(0.7, 0.03, 15)
    arm = rng.normal(0.7, 0.03, 15) if independent else baseline + shift + rng.normal(0, 0.01, 15)
    return metrics_table({"original": baseline, "cgan": arm})


def one(table: pd.DataFrame, **where) -> pd.Series:
    """The single row of table matching where."""
    mask = np.ones(len(table), dtype=bool)
    for column, value in where.items():
        mask &= (table[column] == value).to_numpy()
    assert mask.sum() == 1, where
    return table[mask].iloc[0]


# comparison_pairs and measured_test_train_ratio

def test_comparison_pairs_default_arms_in_order():
    assert S.comparison_pairs(ARMS) == [
        ("smoteenn", "original"), ("cgan", "original"), ("smoteenn_cgan", "original"),
        ("smoteenn_cgan", "cgan"), ("smoteenn_cgan", "smoteenn"),
    ]


def test_comparison_pairs_skip_absent_arms_and_never_repeat_a_pair():
    assert S.comparison_pairs(["original", "smote"]) == [("smote", "original")]
    assert S.comparison_pairs(["cgan", "smoteenn_cgan"]) == [("smoteenn_cgan", "cgan")]  # no reference
    assert S.comparison_pairs(["smoteenn_cgan", "original"]) == [("smoteenn_cgan", "original")]
    assert S.comparison_pairs([]) == []
    assert S.comparison_pairs(ARMS, reference="cgan") == [
        ("original", "cgan"), ("smoteenn", "cgan"), ("smoteenn_cgan", "cgan"),
        ("smoteenn_cgan", "smoteenn"),
    ]


def test_measured_test_train_ratio_is_the_mean_over_repeat_and_fold():
    roles = {(0, 0): (2, 8), (0, 1): (3, 7), (1, 0): (1, 4), (1, 1): (5, 5)}  # (n_test, n_train)
    rows = [dict(id=f"img{i}", repeat=r, fold=f, role=role)
            for (r, f), (n_test, n_train) in roles.items()
            for i, role in enumerate(["test"] * n_test + ["train"] * n_train)]
    expected = (2 / 8 + 3 / 7 + 1 / 4 + 5 / 5) / 4
    assert S.measured_test_train_ratio(pd.DataFrame(rows)) == pytest.approx(expected, rel=1e-12)


def test_measured_test_train_ratio_rejects_a_fold_without_train_rows():
    folds = pd.DataFrame(dict(id=["a", "b"], repeat=[0, 0], fold=[0, 0], role=["test", "test"]))
    with pytest.raises(ValueError, match="train and test"):
        S.measured_test_train_ratio(folds)


# corrected_ttest

def test_corrected_ttest_matches_the_arithmetic_by_hand():
    differences = [0.1, 0.2, 0.0, 0.1, 0.1]
    ratio = 0.25  # 5 folds: n_test / n_train = 1/4
    n, mean = 5, 0.1
    s2 = (0.0**2 + 0.1**2 + 0.1**2 + 0.0**2 + 0.0**2) / (n - 1)  # = 0.005
    var = (1 / n + ratio) * s2  # = 0.45 * 0.005 = 0.00225
    se = math.sqrt(var)  # = 0.047434...
    t = mean / se  # = 2.108185...
    p = 2 * stats.t.sf(t, n - 1)
    half_width = stats.t.ppf(0.975, n - 1) * se  # 2.776445 * se
    result = S.corrected_ttest(differences, ratio)
    assert result["n"] == 5 and result["df"] == 4
    assert result["mean"] == pytest.approx(mean, abs=1e-15)
    assert result["se"] == pytest.approx(se, rel=1e-12)
    assert result["t"] == pytest.approx(t, rel=1e-12)
    assert result["p"] == pytest.approx(p, rel=1e-12)
    assert result["ci_low"] == pytest.approx(mean - half_width, rel=1e-12)
    assert result["ci_high"] == pytest.approx(mean + half_width, rel=1e-12)
    # The same numbers to four places, read off a t table rather than recomputed.
    assert (result["t"], result["p"]) == (pytest.approx(2.1082, abs=1e-4), pytest.approx(0.1027, abs=1e-4))
    assert (result["ci_low"], result["ci_high"]) == (pytest.approx(-0.0317, abs=1e-4),
                                                     pytest.approx(0.2317, abs=1e-4))


@pytest.mark.parametrize("repeats, folds", [(3, 5), (1, 10), (2, 3)])
def test_corrected_ttest_matches_baycomps_correlated_ttest(repeats, folds):
    import baycomp

    rng = np.random.default_rng(repeats * 100 + folds)
    baseline = rng.normal(0.7, 0.03, repeats * folds)
    arm = baseline + 0.02 + rng.normal(0, 0.02, repeats * folds)
    # baycomp: diff = y - x, rho/(1 - rho) = 1/(folds - 1) with folds = n / runs.
    posterior = baycomp.CorrelatedTTest(baseline, arm, runs=repeats)
    result = S.corrected_ttest(arm - baseline, 1 / (folds - 1))
    assert result["mean"] == pytest.approx(posterior.mean, abs=1e-10)
    assert result["se"] == pytest.approx(math.sqrt(posterior.var), abs=1e-10)
    assert result["df"] == posterior.df
    p_right = baycomp.two_on_single(baseline, arm, runs=repeats)[1]  # P(diff > 0)
    assert p_right == pytest.approx(1 - stats.t.sf(result["t"], result["df"]), abs=1e-10)
    assert result["t"] > 0  # so the one-sided p is half the two-sided one
    assert p_right == pytest.approx(1 - result["p"] / 2, abs=1e-10)


def test_corrected_ttest_zero_variance():
    zeros = S.corrected_ttest([0.0] * 6, 0.25)
    assert zeros["mean"] == 0 and zeros["se"] == 0 and (zeros["ci_low"], zeros["ci_high"]) == (0, 0)
    assert math.isnan(zeros["t"]) and math.isnan(zeros["p"])  # nothing to test
    constant = S.corrected_ttest([-0.0625] * 6, 0.25)  # the limit as the variance goes to 0
    assert constant["t"] == -math.inf and constant["p"] == 0.0 and constant["se"] == 0
    assert (constant["ci_low"], constant["ci_high"]) == (-0.0625, -0.0625)


def test_corrected_ttest_drops_nans_and_needs_two_differences():
    assert S.corrected_ttest([0.1, np.nan, 0.3], 0.25)["n"] == 2
    single = S.corrected_ttest([0.2], 0.25)
    assert single["n"] == 1 and single["mean"] == 0.2
    assert all(math.isnan(single[key]) for key in ["se", "t", "df", "p", "ci_low", "ci_high"])
    assert S.corrected_ttest([], 0.25)["n"] == 0


# Holm

def test_holm_by_hand():
    # sorted 0.01, 0.03, 0.04 -> 3 * 0.01, max(0.03, 2 * 0.03), max(0.06, 1 * 0.04)
    assert S.holm_adjust([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06], abs=1e-15)
    adjusted = S.holm_adjust([0.01, np.nan, 0.04, 0.03])  # NaN: not in the family
    assert math.isnan(adjusted[1])
    assert adjusted[[0, 2, 3]] == pytest.approx([0.03, 0.06, 0.06], abs=1e-15)


def test_compare_arms_holm_family_is_one_dataset_classifier_metric():
    rng = np.random.default_rng(7)
    base = rng.normal(0.7, 0.03, 15)
    table = metrics_table({"original": base, "smoteenn": base + 0.01 + rng.normal(0, 0.01, 15),
                           "cgan": base + 0.02 + rng.normal(0, 0.02, 15),
                           "smoteenn_cgan": base + rng.normal(0, 0.02, 15)})
    # Make the metrics differ so that a family mixing metrics would show.
    table["g_mean"] = table["g_mean"] + rng.normal(0, 0.01, len(table))
    out = S.compare_arms(table, [(arm, "original") for arm in ARMS[1:]], folds=5)
    for metric in S.METRICS:
        rows = out[out["metric"] == metric]
        assert len(rows) == 3
        p = rows["p_corrected"].to_numpy()
        order = np.argsort(p)
        by_hand = np.empty(3)
        by_hand[order[0]] = min(1, 3 * p[order[0]])
        by_hand[order[1]] = min(1, max(by_hand[order[0]], 2 * p[order[1]]))
        by_hand[order[2]] = min(1, max(by_hand[order[1]], p[order[2]]))
        assert rows["p_holm"].to_numpy() == pytest.approx(by_hand, rel=1e-12)


# compare_arms: planted differences and edge cases

@pytest.mark.parametrize("shift, verdict", [(0.05, "higher"), (-0.05, "lower")])
def test_compare_arms_finds_a_planted_difference(shift, verdict):
    out = S.compare_arms(planted(1, shift), [("cgan", "original")], folds=5, measured_ratio=0.26)
    assert list(out.columns) == S.COMPARISON_COLUMNS
    assert len(out) == 3 and set(out["verdict"]) == {verdict}
    assert (out["n"] == 15).all() and (out["df"] == 14).all()
    assert (out["ratio_used"] == 0.25).all() and (out["ratio_measured"] == 0.26).all()
    assert out["mean_diff"].to_numpy() == pytest.approx([shift] * 3, abs=0.01)
    assert ((out["ci_low"] < shift) & (shift < out["ci_high"])).all()
    row = out.iloc[0]
    assert row["mean_diff"] == pytest.approx(row["arm_mean"] - row["baseline_mean"], abs=1e-12)
    assert row["rel_change_pct"] == pytest.approx(100 * row["mean_diff"] / row["baseline_mean"], rel=1e-9)
    assert row["rel_ci_low_pct"] == pytest.approx(100 * row["ci_low"] / row["baseline_mean"], rel=1e-12)
    assert row["rel_ci_high_pct"] == pytest.approx(100 * row["ci_high"] / row["baseline_mean"], rel=1e-12)
    assert row["p_holm"] == row["p_corrected"]  # a family of one


def test_compare_arms_pure_noise_rarely_claims_a_difference():
    # The corrected test is conservative on independent folds: over 2000 seeds x 3 metrics it called
    # 3 of 6000 (0.05%) a difference, and 0 of the 20 seeds here. Allowing one is still a strong check
    # (an uncorrected test at 5% would exceed it in about 26% of such 20-seed runs).
    verdicts = [S.compare_arms(planted(seed, 0.0, independent=True), [("cgan", "original")],
                               folds=5).iloc[0]["verdict"] for seed in range(20)]
    assert sum(verdict not in ("higher", "lower") for verdict in verdicts) >= 19
    assert set(verdicts) <= {"higher", "lower", "equivalent", "inconclusive"}


def test_compare_arms_wilcoxon_column_is_scipys():
    out = S.compare_arms(planted(2, 0.005), [("cgan", "original")], folds=5)
    table = planted(2, 0.005)
    differences = (table[table["arm"] == "cgan"]["macro_f1"].to_numpy()
                   - table[table["arm"] == "original"]["macro_f1"].to_numpy())
    assert one(out, metric="macro_f1")["p_wilcoxon"] == pytest.approx(
        stats.wilcoxon(differences).pvalue, rel=1e-12)


def test_compare_arms_identical_arms():
    base = np.random.default_rng(3).normal(0.7, 0.03, 15)
    shifted = base + 0.05 + np.random.default_rng(4).normal(0, 0.01, 15)
    table = metrics_table({"original": base, "smoteenn": base, "cgan": shifted})
    out = S.compare_arms(table, [("smoteenn", "original"), ("cgan", "original")], folds=5)
    same = one(out, metric="macro_f1", arm="smoteenn")
    assert same["verdict"] == "identical" and same["n"] == 15 and same["mean_diff"] == 0
    assert (same["ci_low"], same["ci_high"], same["rel_change_pct"]) == (0, 0, 0)
    for column in ["t", "df", "p_corrected", "p_holm", "p_wilcoxon", "holm_level", "detectable_points"]:
        assert math.isnan(same[column]), column  # no test, and scipy not asked
    assert (same["p_lower"], same["p_rope"], same["p_higher"]) == (0, 1, 0)
    other = one(out, metric="macro_f1", arm="cgan")
    assert other["p_holm"] == other["p_corrected"]  # the identical pair is not in the Holm family


def test_compare_arms_too_few_folds_reports_the_difference_only():
    table = metrics_table({"original": [0.6, 0.7, 0.8], "cgan": [0.7, 0.7, 0.9]}, repeats=1, folds=3)
    row = one(S.compare_arms(table, [("cgan", "original")], folds=3), metric="auc_ovr")
    assert row["verdict"] == "too few folds to test" and row["n"] == 3
    assert row["mean_diff"] == pytest.approx(0.2 / 3, abs=1e-12)
    assert row["arm_mean"] == pytest.approx(2.3 / 3) and row["baseline_mean"] == pytest.approx(0.7)
    assert row["rel_change_pct"] == pytest.approx(100 * (0.2 / 3) / 0.7, rel=1e-9)
    assert row["ratio_used"] == 0.5
    for column in ["ci_low", "ci_high", "rel_ci_low_pct", "rel_ci_high_pct", "t", "df",
                   "p_corrected", "p_holm", "p_wilcoxon", "tost_ci_low", "p_tost", "p_lower", "p_rope", "p_higher",
                   "holm_level", "detectable_points", "repeats_for_rope"]:
        assert math.isnan(row[column]), column
    identical = metrics_table({"original": [0.6, 0.7, 0.8], "cgan": [0.6, 0.7, 0.8]}, repeats=1, folds=3)
    assert set(S.compare_arms(identical, [("cgan", "original")], folds=3)["verdict"]) == {"too few folds to test"}


def test_compare_arms_a_nan_fold_drops_its_pair():
    table = planted(5, 0.05)
    cgan, original = table["arm"] == "cgan", table["arm"] == "original"
    table.loc[cgan & (table["repeat"] == 0) & (table["fold"] == 1), "macro_f1"] = np.nan
    table.loc[original & (table["repeat"] == 2) & (table["fold"] == 4), "macro_f1"] = np.nan
    out = S.compare_arms(table, [("cgan", "original")], folds=5)
    row = one(out, metric="macro_f1")
    assert row["n"] == 13 and one(out, metric="g_mean")["n"] == 15
    kept = ~(table[cgan]["macro_f1"].isna().to_numpy() | table[original]["macro_f1"].isna().to_numpy())
    assert row["arm_mean"] == pytest.approx(table[cgan]["macro_f1"].to_numpy()[kept].mean(), rel=1e-12)
    assert row["baseline_mean"] == pytest.approx(
        table[original]["macro_f1"].to_numpy()[kept].mean(), rel=1e-12)
    assert row["df"] == 12 and row["verdict"] == "higher"


def test_compare_arms_no_paired_folds():
    table = planted(6, 0.05)
    table.loc[table["arm"] == "cgan", "auc_ovr"] = np.nan
    row = one(S.compare_arms(table, [("cgan", "original")], folds=5), metric="auc_ovr")
    assert row["verdict"] == "no paired folds" and row["n"] == 0
    assert math.isnan(row["mean_diff"]) and math.isnan(row["p_holm"])


@pytest.mark.parametrize("shift", [0.0625, -0.0625, 0.0009765625])
def test_compare_arms_constant_nonzero_difference_is_no_test(shift):
    """The same difference on every fold has no variance: no t-test (it used to give se = 0, p = 0,
    "higher" for a constant 0.1 point), the verdict says what it is, the interval is the point."""
    base = np.arange(15) / 64 + 0.5  # binary fractions: every difference is exactly the shift
    out = S.compare_arms(metrics_table({"original": base, "cgan": base + shift}),
                         [("cgan", "original")], folds=5)
    row = one(out, metric="macro_f1")
    assert row["verdict"] == S.CONSTANT and row["mean_diff"] == shift
    assert math.isnan(row["t"]) and math.isnan(row["p_corrected"]) and math.isnan(row["p_holm"])
    assert (row["ci_low"], row["ci_high"]) == (shift, shift)
    # the posterior puts all its mass at the difference: inside the 3-point rope or beyond it
    assert row["p_rope"] == (1.0 if abs(shift) < 0.03 else 0.0)


def test_compare_arms_skips_absent_arms():
    table = pd.concat([planted(8, 0.05),
                       metrics_table({"original": np.full(15, 0.5)}, dataset="other")])
    pairs = S.comparison_pairs(ARMS) + [("smoteenn_cgan", "cgan")]
    out = S.compare_arms(table, pairs, folds=5)
    assert set(zip(out["dataset"], out["arm"], out["baseline"])) == {("d", "cgan", "original")}
    empty = S.compare_arms(table, [("missing", "original")], folds=5)
    assert empty.empty and list(empty.columns) == S.COMPARISON_COLUMNS


def test_compare_arms_refuses_ambiguous_pairing():
    table = planted(9, 0.0)
    with pytest.raises(ValueError, match="repeated"):
        S.compare_arms(pd.concat([table, table.iloc[:1]]), [("cgan", "original")], folds=5)
    with pytest.raises(ValueError, match="folds"):
        S.compare_arms(table, [("cgan", "original")], folds=1)
    with pytest.raises(ValueError, match="min_pairs"):
        S.compare_arms(table, [("cgan", "original")], folds=5, min_pairs=1)


# across datasets: ranks, Friedman and Iman-Davenport, each arm against the reference

BLOCK = {  # dataset -> arm means; ranks by hand: 1 = highest, ties share
    "d1": {"a": 0.9, "b": 0.8, "c": 0.7},  # ranks a 1, b 2, c 3
    "d2": {"a": 0.8, "b": 0.9, "c": 0.7},  # ranks a 2, b 1, c 3
    "d3": {"a": 0.7, "b": 0.7, "c": 0.9},  # ranks a 2.5, b 2.5, c 1
}
MEAN_RANKS = {"a": (1 + 2 + 2.5) / 3, "b": (2 + 1 + 2.5) / 3, "c": (3 + 3 + 1) / 3}


def block_table(block: dict[str, dict[str, float]], classifier: str = "f1_adaboost") -> pd.DataFrame:
    """Two folds per dataset x arm, +-0.02 around the mean (so the means are the block)."""
    return pd.concat([metrics_table({arm: [mean - 0.02, mean + 0.02] for arm, mean in arms.items()},
                                    dataset=dataset, classifier=classifier, repeats=1, folds=2)
                      for dataset, arms in block.items()], ignore_index=True)


def test_across_datasets_ranks_by_hand_and_friedman_as_scipy():
    incomplete = {"d4": {"a": 0.5, "b": 0.6}}  # lacks arm c: does not count
    out = S.across_datasets(block_table(BLOCK | incomplete))
    assert list(out.columns) == S.RANK_COLUMNS and len(out) == 3 * 3
    rows = out[out["metric"] == "g_mean"].set_index("arm")
    assert rows["mean_rank"].to_dict() == pytest.approx(MEAN_RANKS, rel=1e-12)
    assert (rows["n_datasets"] == 3).all()
    scipy_result = stats.friedmanchisquare(*([BLOCK[d][arm] for d in BLOCK] for arm in "abc"))
    assert rows["friedman_chi2"].to_numpy() == pytest.approx([scipy_result.statistic] * 3, rel=1e-12)
    assert rows["friedman_p"].to_numpy() == pytest.approx([scipy_result.pvalue] * 3, rel=1e-12)
    assert rows["note"].iloc[0] == "3 datasets: Friedman has little power below about 10 (Demsar 2006)"


def test_across_datasets_two_datasets_mean_ranks_only():
    out = S.across_datasets(block_table({d: BLOCK[d] for d in ["d1", "d2"]}))
    rows = out[out["metric"] == "macro_f1"].set_index("arm")
    assert rows["mean_rank"].to_dict() == {"a": 1.5, "b": 1.5, "c": 3.0}
    assert rows["friedman_chi2"].isna().all() and rows["friedman_p"].isna().all()
    assert set(rows["note"]) == {"2 datasets: mean ranks only; Friedman's test needs 3 or more"}


def test_across_datasets_one_dataset_is_empty_and_arms_select():
    empty = S.across_datasets(block_table({"d1": BLOCK["d1"]}))
    assert empty.empty and list(empty.columns) == S.RANK_COLUMNS
    two_arms = S.across_datasets(block_table(BLOCK), arms=["c", "a", "absent"])
    rows = two_arms[two_arms["metric"] == "auc_ovr"].set_index("arm")
    assert list(rows.index) == ["c", "a"]
    assert rows["mean_rank"].to_dict() == {"c": 5 / 3, "a": 4 / 3}  # c beats a only in d3
    assert rows["friedman_p"].isna().all() and rows["note"].iloc[0].startswith("2 arms")


def synthetic_datasets(n_datasets: int, seed: int = 0) -> pd.DataFrame:
    """``n_datasets`` datasets of 15 folds: arm "better" 4 points above "original" with noise,
    "same" at it, "worse" 4 below: a metrics table."""
    rng = np.random.default_rng(seed)
    tables = []
    for d in range(n_datasets):
        base = 0.5 + 0.3 * rng.random()
        arms = {arm: base + shift + rng.normal(0, 0.02, 15) for arm, shift in
                (("original", 0.0), ("better", 0.04), ("same", 0.0), ("worse", -0.04))}
        tables.append(metrics_table(arms, dataset=f"d{d}"))
    return pd.concat(tables, ignore_index=True)


@pytest.mark.parametrize("n_datasets", [3, 4, 5, 6])
def test_across_datasets_against_an_independent_computation(n_datasets):
    """Friedman + Iman-Davenport (Demsar 2006, eq. 2), Wilcoxon over datasets with Holm across the
    arms, the smallest attainable p, and the Bayesian signed-rank test (baycomp) from 5 datasets."""
    import baycomp
    from statsmodels.stats.multitest import multipletests

    metrics = synthetic_datasets(n_datasets)
    out = S.across_datasets(metrics, reference="original", ropes={"macro_f1": 1}, alpha=0.05)
    rows = out[(out.metric == "macro_f1") & (out.classifier == "f1_adaboost")].set_index("arm")
    means = metrics[metrics.classifier == "f1_adaboost"].groupby(["dataset", "arm"])["macro_f1"].mean().unstack()
    means = means[["original", "better", "same", "worse"]]
    chi2 = stats.friedmanchisquare(*(means[a] for a in means)).statistic
    k, n = 4, n_datasets
    f = (n - 1) * chi2 / (n * (k - 1) - chi2) if n * (k - 1) > chi2 else math.inf
    assert rows["iman_davenport_f"].iloc[0] == pytest.approx(f, rel=1e-9)
    if math.isfinite(f):
        assert rows["iman_davenport_p"].iloc[0] == pytest.approx(stats.f.sf(f, k - 1, (k - 1) * (n - 1)), rel=1e-9)
    p = [stats.wilcoxon(means[a] - means["original"]).pvalue for a in ("better", "same", "worse")]
    assert rows.loc[["better", "same", "worse"], "wilcoxon_p"].to_numpy() == pytest.approx(p, rel=1e-9)
    assert rows.loc[["better", "same", "worse"], "wilcoxon_p_holm"].to_numpy() == pytest.approx(
        multipletests(p, method="holm")[1], rel=1e-9)
    assert rows.loc["better", "min_attainable_p"] == pytest.approx({3: 0.25, 4: 0.125, 5: 0.0625, 6: 0.03125}[n])
    assert rows.loc["better", "n_higher"] == n and rows.loc["worse", "n_lower"] == n
    if n < 6:
        assert rows.loc["better", "verdict"] == "ranks and signs only"  # no p-value can reach 0.05
    if n >= 5:
        expected = baycomp.SignedRankTest.probs(means["original"].to_numpy(), means["better"].to_numpy(), rope=0.01,
                                                random_state=0)
        got = rows.loc["better", ["bayes_p_lower", "bayes_p_rope", "bayes_p_higher"]].to_numpy(float)
        assert got == pytest.approx(expected, abs=0.02)  # two Monte Carlo estimates
    else:
        assert rows["bayes_p_higher"].isna().all()


def test_iman_davenport_guards_full_agreement():
    """Ranks in full agreement: chi2 = N (k - 1), F's denominator 0: F infinite, p 0."""
    f, p = S.across.iman_davenport(3 * (4 - 1), 3, 4)
    assert f == math.inf and p == 0.0


def test_the_reference_tests_of_the_ranks_diagram():
    assert S.reference_tests(block_table({d: BLOCK[d] for d in ["d1", "d2"]}), "f1_adaboost", "macro_f1", None,
                             "a") is None
    ranks, p_values = S.reference_tests(block_table(BLOCK), "f1_adaboost", "macro_f1", None, "a")
    assert ranks.to_dict() == pytest.approx(MEAN_RANKS, rel=1e-12)
    assert p_values.loc["b", "a"] == p_values.loc["a", "b"] and math.isnan(p_values.loc["b", "c"])


# thesis_claim

def comparison_rows(changes: dict[str, tuple[float, float]], classifier: str = "f1_adaboost") -> pd.DataFrame:
    """compare_arms-like rows of smoteenn_cgan vs cgan: dataset -> (cgan mean, smoteenn_cgan mean)."""
    rows = []
    for dataset, (cgan, hybrid) in changes.items():
        for metric in S.METRICS:
            diff = hybrid - cgan
            rows.append(dict(dataset=dataset, classifier=classifier, metric=metric,
                             arm="smoteenn_cgan", baseline="cgan", n=15, arm_mean=hybrid,
                             baseline_mean=cgan, mean_diff=diff, rel_change_pct=100 * diff / cgan,
                             ci_low=diff - 0.01, ci_high=diff + 0.01,
                             rel_ci_low_pct=100 * (diff - 0.01) / cgan,
                             rel_ci_high_pct=100 * (diff + 0.01) / cgan, verdict="higher"))
    return pd.DataFrame(rows)


def test_thesis_claim_points_relative_and_the_mean_over_three_datasets():
    changes = {"d1": (0.5, 0.55), "d2": (0.8, 0.82), "d3": (0.4, 0.38)}
    noise = comparison_rows({"d1": (0.5, 0.9)}, classifier="samme")  # another classifier: ignored
    out = S.thesis_claim(pd.concat([comparison_rows(changes), noise]))
    assert list(out.columns) == S.THESIS_COLUMNS and len(out) == 3 * 4
    d1 = one(out, dataset="d1", metric="macro_f1")
    assert d1["change_points"] == pytest.approx(5.0)  # 0.55 - 0.50 = 5 points
    assert d1["change_relative_pct"] == pytest.approx(10.0)  # 0.05 / 0.50 = 10 %
    assert (d1["ci_low_points"], d1["ci_high_points"]) == (pytest.approx(4.0), pytest.approx(6.0))
    assert (d1["ci_low_relative_pct"], d1["ci_high_relative_pct"]) == (pytest.approx(8.0),
                                                                       pytest.approx(12.0))
    assert d1["n_datasets"] == 1 and d1["n"] == 15 and d1["verdict"] == "higher"
    assert d1["thesis_pct"] == 6.3
    mean = one(out, dataset="mean over datasets", metric="g_mean")
    points, relative = np.array([5.0, 2.0, -2.0]), np.array([10.0, 2.5, -5.0])
    assert mean["change_points"] == pytest.approx(5 / 3) and mean["change_relative_pct"] == pytest.approx(2.5)
    assert mean["n_datasets"] == 3 and mean["n"] == 45 and mean["thesis_pct"] == 2.3
    assert mean["cgan_mean"] == pytest.approx(1.7 / 3)
    assert mean["smoteenn_cgan_mean"] == pytest.approx(1.75 / 3)
    half = stats.t.ppf(0.975, 2) * np.std(points, ddof=1) / math.sqrt(3)
    assert (mean["ci_low_points"], mean["ci_high_points"]) == (
        pytest.approx(5 / 3 - half), pytest.approx(5 / 3 + half))
    half = stats.t.ppf(0.975, 2) * np.std(relative, ddof=1) / math.sqrt(3)
    assert (mean["ci_low_relative_pct"], mean["ci_high_relative_pct"]) == (
        pytest.approx(2.5 - half), pytest.approx(2.5 + half))
    assert "3 datasets" in mean["verdict"]


def test_thesis_claim_no_interval_below_three_datasets_and_empty_without_the_pair():
    out = S.thesis_claim(comparison_rows({"d1": (0.5, 0.55), "d2": (0.8, 0.82)}))
    mean = one(out, dataset="mean over datasets", metric="auc_ovr")
    assert mean["change_points"] == pytest.approx(3.5) and mean["thesis_pct"] == 5.6
    for column in ["ci_low_points", "ci_high_points", "ci_low_relative_pct", "ci_high_relative_pct"]:
        assert math.isnan(mean[column]), column
    assert "needs 3 or more" in mean["verdict"]
    other_pair = comparison_rows({"d1": (0.5, 0.55)}).assign(baseline="original")
    empty = S.thesis_claim(other_pair)
    assert empty.empty and list(empty.columns) == S.THESIS_COLUMNS


def test_thesis_claim_from_compare_arms():
    rng = np.random.default_rng(11)
    tables = []
    for dataset in ["d1", "d2", "d3"]:
        cgan = rng.normal(0.6, 0.03, 15)
        tables.append(metrics_table({"cgan": cgan, "smoteenn_cgan": cgan + 0.03 + rng.normal(0, 0.01, 15)},
                                    dataset=dataset))
    comparisons = S.compare_arms(pd.concat(tables), S.comparison_pairs(["cgan", "smoteenn_cgan"]), folds=5)
    out = S.thesis_claim(comparisons)
    per_dataset = out[out["dataset"] != "mean over datasets"]
    assert len(per_dataset) == 9 and set(per_dataset["verdict"]) == {"higher"}
    merged = per_dataset.merge(comparisons, on=["dataset", "metric"])
    assert merged["change_points"].to_numpy() == pytest.approx(100 * merged["mean_diff"].to_numpy())
    assert merged["ci_high_points"].to_numpy() == pytest.approx(100 * merged["ci_high"].to_numpy())
    mean = one(out, dataset="mean over datasets", metric="macro_f1")
    assert mean["change_relative_pct"] == pytest.approx(
        merged[merged["metric"] == "macro_f1"]["rel_change_pct"].mean())
