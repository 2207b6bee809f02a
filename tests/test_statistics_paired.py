"""Equivalence (TOST), the Bayesian correlated t-test's probabilities, the power of the comparison
and the verdicts they decide, from constructed metrics tables; the probabilities against baycomp."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from infantfer import statistics as S
from infantfer.config import load_schema, resolve_config


def table(values: dict[str, np.ndarray], classifier: str = "f1_adaboost", repeats: int = 3, folds: int = 5,
          dataset: str = "d") -> pd.DataFrame:
    """metrics.tsv rows of one classifier: every metric takes the arm's values (repeat-major)."""
    rows = []
    for arm, arm_values in values.items():
        for i, value in enumerate(np.asarray(arm_values, dtype=float)):
            rows.append(dict(dataset=dataset, arm=arm, classifier=classifier, repeat=i // folds, fold=i % folds,
                             **{metric: value for metric in S.METRICS}))
    return pd.DataFrame(rows)


def constructed(seed: int = 0, repeats: int = 3, folds: int = 5) -> pd.DataFrame:
    """Four arms against original with f1_adaboost, and the chance classifier on the same arms:
    smote equivalent (differences of sd 0.3 points), random_over inconclusive (sd 6 points),
    class_weight higher (+8 points), adasyn lower (-8 points)."""
    rng = np.random.default_rng(seed)
    n = repeats * folds
    base = rng.normal(0.7, 0.05, n)
    arms = {"original": base, "smote": base + rng.normal(0, 0.003, n), "random_over": base + rng.normal(0, 0.06, n),
            "class_weight": base + 0.08 + rng.normal(0, 0.01, n), "adasyn": base - 0.08 + rng.normal(0, 0.01, n)}
    chance = {arm: rng.uniform(0.2, 0.4, n) for arm in arms}
    chance["adasyn"] = chance["original"] + 0.2  # would be "higher" if chance got verdicts
    return pd.concat([table(arms, repeats=repeats, folds=folds),
                      table(chance, classifier="chance", repeats=repeats, folds=folds)], ignore_index=True)


PAIRS = [(arm, "original") for arm in ("smote", "random_over", "class_weight", "adasyn")]


@pytest.mark.parametrize("repeats, folds, rope", [(3, 5, 0.03), (1, 10, 0.01), (2, 3, 0.05), (5, 5, 0.002)])
def test_posterior_probabilities_are_baycomps_correlated_ttest(repeats, folds, rope):
    import baycomp

    rng = np.random.default_rng(repeats * 100 + folds)
    baseline = rng.normal(0.7, 0.03, repeats * folds)
    arm = baseline + 0.01 + rng.normal(0, 0.02, repeats * folds)
    test = S.corrected_ttest(arm - baseline, 1 / (folds - 1))
    mine = S.posterior_probabilities(test["mean"], test["se"], test["df"], rope)
    # baycomp: diff = y - x; rho = 1 / folds, so rho / (1 - rho) = 1 / (folds - 1)
    left, within, right = baycomp.CorrelatedTTest.probs(baseline, arm, rope=rope, runs=repeats)
    assert mine["p_lower"] == pytest.approx(left, abs=1e-10)
    assert mine["p_rope"] == pytest.approx(within, abs=1e-10)
    assert mine["p_higher"] == pytest.approx(right, abs=1e-10)
    assert sum(mine.values()) == pytest.approx(1, abs=1e-12)


def test_compare_arms_probabilities_are_baycomps_per_row():
    import baycomp

    m = constructed(1)
    out = S.compare_arms(m, PAIRS, folds=5, rope={"macro_f1": 2.5})
    for arm in ("smote", "random_over", "class_weight", "adasyn"):
        row = out[(out.arm == arm) & (out.metric == "macro_f1") & (out.classifier == "f1_adaboost")].iloc[0]
        values = {a: m[(m.arm == a) & (m.classifier == "f1_adaboost")]["macro_f1"].to_numpy() for a in (arm, "original")}
        expected = baycomp.CorrelatedTTest.probs(values["original"], values[arm], rope=0.025, runs=3)
        assert (row.p_lower, row.p_rope, row.p_higher) == pytest.approx(expected, abs=1e-10)
        assert row.rope_points == 2.5


def test_tost_is_the_1_minus_2_alpha_interval_inside_the_rope():
    differences = np.array([0.004, -0.002, 0.001, 0.003, -0.001, 0.0, 0.002, 0.005, -0.003, 0.001])
    test = S.corrected_ttest(differences, 0.25)
    tost = S.equivalence_test(test["mean"], test["se"], test["df"], rope=0.01, alpha=0.05)
    half = stats.t.ppf(0.95, 9) * test["se"]
    assert (tost["ci_low"], tost["ci_high"]) == pytest.approx((test["mean"] - half, test["mean"] + half), rel=1e-12)
    p_low = stats.t.sf((test["mean"] + 0.01) / test["se"], 9)
    p_high = stats.t.cdf((test["mean"] - 0.01) / test["se"], 9)
    assert tost["p"] == pytest.approx(max(p_low, p_high), rel=1e-12)
    for rope in np.linspace(0.001, 0.02, 40):  # p < alpha exactly when the interval is inside +-rope
        result = S.equivalence_test(test["mean"], test["se"], test["df"], rope, 0.05)
        assert (result["p"] < 0.05) == (-rope < result["ci_low"] and result["ci_high"] < rope)
    assert S.equivalence_test(0.001, 0.0, 9, 0.01)["p"] == 0.0  # zero variance: the point decides
    assert S.equivalence_test(0.02, 0.0, 9, 0.01)["p"] == 1.0


def test_holm_levels_are_alpha_over_the_remaining_family():
    levels = S.holm_levels([0.04, np.nan, 0.001, 0.02], alpha=0.05)
    assert levels[[2, 3, 0]] == pytest.approx([0.05 / 3, 0.05 / 2, 0.05], rel=1e-15)
    assert math.isnan(levels[1])


def test_detectable_difference_at_n_15_is_1_7_sd_and_2_0_at_holms_first_step():
    se = math.sqrt(1 / 15 + 1 / 4)  # s = 1
    assert float(S.detectable_difference(se, 14, 0.05)) == pytest.approx(1.695, abs=1e-3)
    assert float(S.detectable_difference(se, 14, 0.05 / 3)) == pytest.approx(2.018, abs=1e-3)
    # the 95% CI's half-width (1.21 sd) is detected with about 51% power only
    half = stats.t.ppf(0.975, 14) * se
    c = stats.t.ppf(0.975, 14)
    assert half == pytest.approx(1.207, abs=1e-3)
    assert stats.nct.sf(c, 14, half / se) + stats.nct.cdf(-c, 14, half / se) == pytest.approx(0.515, abs=0.01)
    # and the approximation's own power is 80% to within 0.01 under the noncentral t
    for level in (0.05, 0.05 / 3):
        d = float(S.detectable_difference(se, 14, level)) / se
        c = stats.t.ppf(1 - level / 2, 14)
        assert stats.nct.sf(c, 14, d) + stats.nct.cdf(-c, 14, d) == pytest.approx(0.8, abs=0.01)


def test_the_floor_and_the_repeats_that_reach_a_difference():
    sd, folds, level = 0.05, 5, 0.05
    floor = S.detectable_floor(sd, folds, level)
    assert floor == pytest.approx((stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * sd / 2, rel=1e-12)
    assert math.isnan(S.repeats_needed(floor * 0.99, sd, folds, level))  # out of reach by repeats
    target = floor * 1.3
    repeats = S.repeats_needed(target, sd, folds, level)

    def detectable(r):
        n = r * folds
        return float(S.detectable_difference(sd * math.sqrt(1 / n + 1 / (folds - 1)), n - 1, level))

    assert detectable(repeats) <= target < detectable(repeats - 1)
    assert S.repeats_needed(floor * 1.0001, sd, folds, level) == math.inf  # beyond MAX_REPEATS
    assert S.repeats_needed(1.0, sd, folds, level) == 1  # already reached by one repeat


def test_every_verdict_from_a_constructed_metrics_table():
    out = S.compare_arms(constructed(), PAIRS, folds=5)
    verdicts = out[(out.classifier == "f1_adaboost") & (out.metric == "macro_f1")].set_index("arm")["verdict"]
    assert verdicts.to_dict() == {"smote": "equivalent", "random_over": "inconclusive", "class_weight": "higher",
                                  "adasyn": "lower"}
    smote = out[(out.arm == "smote") & (out.metric == "macro_f1") & (out.classifier == "f1_adaboost")].iloc[0]
    assert -0.03 < smote.tost_ci_low < smote.tost_ci_high < 0.03 and smote.p_tost_holm < 0.05 and smote.p_rope > 0.95
    # the equivalence interval is the one at the row's Holm level: 1 - 2 x level
    family = out[(out.classifier == "f1_adaboost") & (out.metric == "macro_f1")]
    rank = sorted(family["p_tost"]).index(smote.p_tost)  # Holm's step of this row's TOST p-value
    assert smote.tost_level == pytest.approx(0.05 / (len(family) - rank))
    assert smote.p_tost_holm == pytest.approx(min(1.0, max((len(family) - i) * p for i, p in
                                                           enumerate(sorted(family["p_tost"])[: rank + 1]))))
    width = stats.t.ppf(1 - smote.tost_level, 14) * (smote.ci_high - smote.ci_low) / 2 / stats.t.ppf(0.975, 14)
    assert (smote.tost_ci_low, smote.tost_ci_high) == pytest.approx((smote.mean_diff - width, smote.mean_diff + width))
    inconclusive = out[(out.arm == "random_over") & (out.metric == "macro_f1") & (out.classifier == "f1_adaboost")]
    row = inconclusive.iloc[0]
    assert row.p_holm >= 0.05 and row.p_tost >= 0.05 and row.detectable_points > 3
    # power: the Holm level of the row's step, the detectable difference at it, in points
    family = out[(out.classifier == "f1_adaboost") & (out.metric == "macro_f1")]
    assert sorted(family["holm_level"]) == pytest.approx([0.05 / 4, 0.05 / 3, 0.05 / 2, 0.05])
    se = (row.ci_high - row.ci_low) / 2 / stats.t.ppf(0.975, 14)
    expected = 100 * (stats.t.ppf(1 - row.holm_level / 2, 14) + stats.t.ppf(0.8, 14)) * se
    assert row.detectable_points == pytest.approx(expected, rel=1e-9)
    assert row.detectable_floor_points < row.detectable_points
    assert math.isnan(row.repeats_for_rope) == (row.detectable_floor_points >= 3)


def test_the_chance_classifier_is_a_sanity_row_without_a_verdict():
    out = S.compare_arms(constructed(), PAIRS, folds=5)
    chance = out[out.classifier == "chance"]
    assert len(chance) == 12 and (chance["verdict"] == "").all()
    adasyn = chance[(chance.arm == "adasyn") & (chance.metric == "macro_f1")].iloc[0]
    assert adasyn.mean_diff == pytest.approx(0.2) and adasyn.ci_low > 0  # numbers kept, no verdict


def test_too_few_folds_comes_before_identical_and_every_test():
    few = constructed(repeats=1, folds=4)
    out = S.compare_arms(few, PAIRS, folds=4)
    assert set(out.loc[out.classifier == "f1_adaboost", "verdict"]) == {"too few folds to test"}
    assert out.loc[out.classifier == "f1_adaboost", ["p_rope", "detectable_points", "p_tost"]].isna().all().all()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 0, -1, "3", True])
def test_rope_must_be_a_finite_positive_number(bad):
    with pytest.raises(ValueError, match="statistics.rope.macro_f1"):
        S.compare_arms(constructed(), PAIRS, folds=5, rope={"macro_f1": bad})
    with pytest.raises(ValueError, match="statistics.rope.macro_f1"):
        resolve_config({"datasets": {"d": {"layout": "demo"}}, "statistics": {"rope": {"macro_f1": bad}}})


def test_the_package_rope_is_the_schema_s_and_a_dataset_may_set_one_metric():
    props = load_schema()["$defs"]["statistics"]["properties"]["rope"]["properties"]
    assert S.ROPE == {m: props[m]["default"] for m in S.METRICS}
    config = resolve_config({"datasets": {"d": {"layout": "demo", "statistics": {"rope": {"g_mean": 1.5}}}}})
    assert config["datasets"]["d"]["statistics"]["rope"] == {"macro_f1": 3, "g_mean": 1.5, "auc_ovr": 3}


def test_power_sentences_say_what_the_run_could_detect_and_what_would_reach_the_rope():
    from infantfer.report.power import power_sentence

    out = S.compare_arms(constructed(), PAIRS, folds=5)
    rows = out[(out.classifier == "f1_adaboost") & (out.metric == "macro_f1")]
    sentence = power_sentence(out, "f1_adaboost", "macro_f1", folds=5, repeats=1)
    lo, hi = rows["detectable_points"].min(), rows["detectable_points"].max()
    assert sentence.startswith(f"macro F1: differences of {lo:.1f}-{hi:.1f} points are detected with 80% power")
    assert "this run detects it in 1 of 4 comparisons" in sentence  # smote's tiny spread
    assert "2 repeats of 5 folds would in 2 of 4 comparisons" in sentence  # class_weight, adasyn
    floor = rows.loc[rows.arm == "random_over", "detectable_floor_points"].item()
    assert f"no number of repeats of 5 folds would in 1 of 4 comparisons (the corrected variance has a floor: " \
           f"{floor:.1f} points" in sentence and "more images per test fold" in sentence
    wide = S.compare_arms(constructed(), PAIRS[1:2], folds=5, rope={"macro_f1": 8.5})
    assert "(±8.5 points): 4 repeats of 5 folds would." in power_sentence(wide, "f1_adaboost", "macro_f1", 5, 3)
    assert power_sentence(S.compare_arms(constructed(repeats=1, folds=4), PAIRS, folds=4), "f1_adaboost",
                          "macro_f1", 4, 1) is None  # nothing tested, nothing to say
