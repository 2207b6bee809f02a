"""The answer's first lines (infantfer.report.lead): one sentence per dataset that names the outcome
with its CI, the thesis' claim line when both of its arms ran, what "%" means, from constructed
metrics tables; never a non-answer, never Wilcoxon."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from docutils.core import publish_string

from infantfer import report
from infantfer.config import resolve_config
from infantfer.statistics import compare_arms, comparison_pairs, thesis_claim

NO_GAN = {"original": {}, "smote": {"resampler": "smote"}, "random_over": {"resampler": "random_over"},
          "class_weight": {"class_weight": "balanced"}}
METHOD = {"original": {}, "smoteenn": {"resampler": "smoteenn"}, "cgan": {"gan": True},
          "smoteenn_cgan": {"resampler": "smoteenn", "gan": True}}
EMPTY_ACROSS = pd.DataFrame(columns=["classifier", "metric", "arm", "note"])


def settings(arms: dict) -> dict:
    config = resolve_config({"datasets": {"d": {"layout": "demo"}}, "arms": arms, "balanced": {"arm": "best"}})
    return config["datasets"]["d"]


def standardised(rng, n: int, mean: float, sd: float) -> np.ndarray:
    """n values with exactly this mean and sd (ddof=1)."""
    z = rng.normal(size=n)
    return mean + sd * (z - z.mean()) / z.std(ddof=1)


def metrics(shifts: dict[str, tuple[float, float]], level: float = 0.7, seed: int = 0, n: int = 15) -> pd.DataFrame:
    """3 x 5 folds: arm = original + a difference of exactly (mean, sd); chance on the same arms."""
    rng = np.random.default_rng(seed)
    base = np.clip(rng.normal(level, 0.02, n), 0.001, 1)
    rows = []
    for arm, (mean, sd) in {"original": (0.0, 0.0), **shifts}.items():
        values = base + (standardised(rng, n, mean, sd) if sd else mean)
        chance = rng.uniform(0.2, 0.4, n)
        for i in range(n):
            for classifier, v in (("f1_adaboost", values[i]), ("chance", chance[i])):
                rows.append(dict(dataset="d", arm=arm, classifier=classifier, repeat=i // 5, fold=i % 5,
                                 macro_f1=v, g_mean=v, auc_ovr=v))
    return pd.DataFrame(rows)


def run_of(m: pd.DataFrame, arms: dict, forest=None) -> report.DatasetRun:
    stats = compare_arms(m, comparison_pairs(list(arms)), folds=5, measured_ratio=0.25)
    return report.DatasetRun("d", report.run_facts(settings(arms)), stats, m, forest=forest)


def row(run: report.DatasetRun, arm: str, metric: str = "macro_f1") -> pd.Series:
    s = run.statistics
    return s[(s.arm == arm) & (s.metric == metric) & (s.classifier == "f1_adaboost")].iloc[0]


SHIFTS = {"smote": (0.0, 0.004), "random_over": (0.01, 0.06), "class_weight": (0.08, 0.01)}


def test_a_run_without_the_method_s_arms_leads_with_its_own_comparisons():
    run = run_of(metrics(SHIFTS), NO_GAN)
    md = report.answer_markdown([run], thesis_claim(run.statistics), EMPTY_ACROSS)
    first = md.splitlines()[2]
    cw = row(run, "class_weight")
    # the primary metric (macro F1) decides; the secondary ones never drive the lead's verb
    assert first.startswith("- d (f1_adaboost, n = 15 paired test folds, primary metric macro F1): class_weight raised "
                            f"macro F1 by {100 * cw.mean_diff:.1f} points [{100 * cw.ci_low:.1f}, {100 * cw.ci_high:.1f}] "
                            f"({cw.rel_change_pct:+.1f}%)")
    sm = row(run, "smote")
    # the equivalent pair, with the interval at its Holm level (the smallest of 3 TOST p-values: 1 - 2 x 0.05/3)
    assert (f"matched original within ±3 points: smote (macro F1 {round(100 * sm.mean_diff, 1) + 0.0:+.1f} points, "
            f"{report.level(2 * sm.tost_level)} CI [{100 * sm.tost_ci_low:+.1f}, {100 * sm.tost_ci_high:+.1f}])") in first
    ro = row(run, "random_over")
    assert ro.verdict == "inconclusive"
    assert (f"; inconclusive: random_over (macro F1 {100 * ro.mean_diff:+.1f} points "
            f"[{100 * ro.ci_low:+.1f}, {100 * ro.ci_high:+.1f}], P(within ±3) = {ro.p_rope:.2f})") in first
    assert "needs both arms" not in md and "headline" not in md  # no non-answer
    assert "% is relative to the reference arm's mean" in md.split("\n\n")[2]  # "%" right after the leads
    assert "ilcoxon" not in md


def test_no_arm_beat_the_reference_and_one_fell_behind():
    run = run_of(metrics({"smote": (0.0, 0.004), "smoteenn": (-0.11, 0.03)}),
                 {"original": {}, "smote": {"resampler": "smote"}, "smoteenn": {"resampler": "smoteenn"}})
    lead = report.answer_markdown([run], thesis_claim(run.statistics), EMPTY_ACROSS).splitlines()[2]
    r = row(run, "smoteenn")
    assert lead.startswith(f"- d (f1_adaboost, n = 15 paired test folds, primary metric macro F1): No arm beat original; smoteenn lowered "
                           f"macro F1 by 11.0 points [{-100 * r.ci_high:.1f}, {-100 * r.ci_low:.1f}]")


def test_a_reference_mean_below_0_1_gives_points_only_and_says_why():
    run = run_of(metrics({"class_weight": (0.08, 0.01)}, level=0.04), {"original": {}, **{"class_weight": {
        "class_weight": "balanced"}}})
    md = report.answer_markdown([run], thesis_claim(run.statistics), EMPTY_ACROSS)
    lead, percent = md.split("\n\n")[1], md.split("\n\n")[2]
    assert "raised macro F1 by 8.0 points [" in lead and "%" not in lead
    assert "Where the reference's mean is below 0.1 (d's macro F1 (original 0.04)" in percent
    assert "divides by almost nothing" in percent and "points only" in percent
    line = dict(report.dataset_answer(run)["lines"])["class_weight vs original"][0]
    assert not re.search(r"[+-]\d+\.\d%", line)  # the detail lines follow the same rule


def test_an_unadjusted_ci_that_excludes_0_is_said_in_words():
    # p about 0.03 alone, 0.1 after Holm over three; the 90% CI [1.0, 7.0] is not inside +-3: inconclusive
    run = run_of(metrics({"a": (0.04, 0.03), "b": (0.0, 0.08), "c": (0.0, 0.08)}),
                 {"original": {}, "a": {"resampler": "smote"}, "b": {"resampler": "adasyn"},
                  "c": {"resampler": "random_over"}})
    a = row(run, "a")
    assert a.ci_low > 0 and a.p_holm >= 0.05 and a.verdict == "inconclusive"
    lead = report.answer_markdown([run], thesis_claim(run.statistics), EMPTY_ACROSS).splitlines()[2]
    assert "its 95% CI excludes 0 only before Holm's adjustment for the 3 comparisons of this metric" in lead
    line = dict(report.dataset_answer(run)["lines"])["a vs original"][0]
    assert "(excludes 0 before Holm's adjustment only)" in line


def test_the_thesis_claim_line_follows_the_leads_when_both_arms_ran():
    run = run_of(metrics({"smoteenn": (0.0, 0.004), "cgan": (0.03, 0.01), "smoteenn_cgan": (0.05, 0.01)}), METHOD)
    claim = thesis_claim(run.statistics)
    md = report.answer_markdown([run], claim, EMPTY_ACROSS)
    paragraphs = md.split("\n\n")
    assert paragraphs[2].startswith("The thesis' claim, smoteenn_cgan over cgan (f1_adaboost): macro F1 +6.3% "
                                    "claimed, ")
    f1 = claim[(claim.dataset == "d") & (claim.metric == "macro_f1")].iloc[0]
    assert (f"{f1.change_relative_pct:+.1f}% ({f1.change_points:+.1f} points, 95% CI [{f1.ci_low_points:+.1f}, "
            f"{f1.ci_high_points:+.1f}] points, higher) measured") in paragraphs[2]
    assert "(to cgan's in the thesis' claim)" in paragraphs[3]


def test_the_chance_classifier_has_no_verdict_anywhere_in_the_answer():
    run = run_of(metrics(SHIFTS), NO_GAN)
    table = report.table4(run.metrics, run.statistics, "original")
    chance = table[table.classifier == "chance"]
    cells = chance.filter(like="Δ").to_numpy().ravel()
    assert all(c == "reference" or c.endswith("(sanity check)") for c in cells)
    answer = report.dataset_answer(run)
    assert "chance (a sanity check, with no verdict)" in answer["overall"]
    assert answer["classifier"] == "f1_adaboost"


@pytest.mark.parametrize("repeats", [1])
def test_too_few_folds_still_leads_with_the_differences(repeats):
    m = metrics(SHIFTS)
    m = m[m.repeat < repeats].copy()
    m["fold"] = m["fold"] % 3
    m = m.drop_duplicates(["dataset", "arm", "classifier", "repeat", "fold"])
    stats = compare_arms(m, comparison_pairs(list(NO_GAN)), folds=3)
    lead = report.dataset_lead("d", stats, "original", 0.05)
    assert lead.startswith("d (f1_adaboost, n = 3 paired test folds, primary metric macro F1): too few folds to test anything; mean "
                           "differences from original in macro F1: smote ")
    assert lead.endswith("points, with no interval.")


def test_the_rst_page_renders_with_the_forest_plot_embedded(tmp_path):
    from infantfer.figures import forest_figure

    m = metrics(SHIFTS)
    run = run_of(m, NO_GAN)
    png = forest_figure(run.statistics, tmp_path / "forest.png", reference="original")
    run = run_of(m, NO_GAN, forest=png.path)
    rst = report.answer_rst([run], thesis_claim(run.statistics), EMPTY_ACROSS)
    page = publish_string(rst, writer="html", settings_overrides={"halt_level": 2, "report_level": 5}).decode()
    assert "data:image/png;base64," in page and "Forest plot of d" in page
    assert page.index("class_weight raised macro F1") < page.index("data:image/png")  # the sentence first
    assert "ilcoxon" not in page
