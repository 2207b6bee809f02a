"""The report's words and tables (infantfer.report), from synthetic statistics: what a reader is told."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from docutils.core import publish_string

from infantfer import report
from infantfer.report import text
from infantfer.config import resolve_config
from infantfer.statistics import compare_arms, comparison_pairs, thesis_claim

ARMS = ["original", "smoteenn", "cgan", "smoteenn_cgan"]


def settings(repeats: int = 3, folds: int = 5, size: int = 16, steps: int = 700) -> dict:
    config = resolve_config({"datasets": {"d": {"layout": "demo", "faces": {"size": size}}},
                             "split": {"folds": folds, "repeats": repeats}, "cgan": {"steps": steps}})
    return config["datasets"]["d"]


def metrics(repeats: int = 3, folds: int = 5, shift: dict | None = None, seed: int = 0, name: str = "d") -> pd.DataFrame:
    """Paired folds: each arm = a fold effect + the arm's shift + small noise."""
    shift = shift or {"original": 0.0, "smoteenn": 0.0, "cgan": 0.06, "smoteenn_cgan": -0.06}
    rng = np.random.default_rng(seed)
    rows = []
    for r in range(repeats):
        for f in range(folds):
            base = rng.normal(0.7, 0.05)
            for arm, s in shift.items():
                for classifier in ("f1_adaboost", "chance"):
                    value = base + s + rng.normal(0, 0.01) if classifier == "f1_adaboost" else rng.uniform(0.2, 0.4)
                    rows.append({"dataset": name, "arm": arm, "classifier": classifier, "repeat": r, "fold": f,
                                 "macro_f1": value, "g_mean": value - 0.05, "auc_ovr": value + 0.1})
    return pd.DataFrame(rows)


def run_of(m: pd.DataFrame, s: dict, name: str = "d") -> report.DatasetRun:
    stats = compare_arms(m, comparison_pairs(ARMS, "original"), folds=s["split"]["folds"], measured_ratio=0.25)
    return report.DatasetRun(name, report.run_facts(s), stats, m)


def render(rst: str) -> str:
    """RST to HTML the way a reader's tools would, failing on any docutils warning."""
    return publish_string(rst, writer="html", settings_overrides={"halt_level": 2, "report_level": 5}).decode()


def test_answer_states_tested_differences_with_their_confidence():
    run = run_of(metrics(), settings())
    answer = report.dataset_answer(run)
    lines = dict(answer["lines"])
    cgan = lines["cgan vs original"][0]
    row = run.statistics.query("arm == 'cgan' and baseline == 'original' and classifier == 'f1_adaboost' "
                               "and metric == 'macro_f1'").iloc[0]
    assert cgan.startswith(f"macro F1 (primary) **higher**: {100 * row.mean_diff:+.1f} points, {row.rel_change_pct:+.1f}%; "
                           f"95% CI [{100 * row.ci_low:+.1f}, {100 * row.ci_high:+.1f}]") and "n = 15" in cgan
    assert "Holm-adjusted p " in cgan and "wilcoxon" not in cgan.lower()
    assert lines["smoteenn_cgan vs original"][0].startswith("macro F1 (primary) **lower**: -")
    assert lines["smoteenn vs original"][0].startswith("macro F1 (primary) **equivalent** within ±3 points")
    assert lines["smoteenn vs original"][1].startswith("G-mean (secondary) ")
    assert answer["warning"] is None
    # facts of the run, not defaults: 16 px faces, 700 GAN steps, 3 x 5 folds
    assert answer["facts"].startswith("16 x 16 px greyscale faces; 3 repeats x 5 grouped folds (n = 15")
    assert "GANs of 700 steps at 16 x 16 px" in answer["facts"]
    assert answer["facts"].endswith("test/train size ratio is 0.25; the corrected t-test uses 1/(folds - 1) = 0.25.")


def test_answer_warns_when_too_few_folds_and_gives_means_only():
    run = run_of(metrics(repeats=1, folds=3), settings(repeats=1, folds=3))
    answer = report.dataset_answer(run)
    assert answer["warning"].startswith("Too few folds to test: n = 3 paired test folds")
    cgan = dict(answer["lines"])["cgan vs original"][0]
    assert cgan.startswith("macro F1 (primary) +") and " points" in cgan and cgan.endswith("(n = 3, too few folds to test)")
    assert "CI" not in cgan and "p =" not in cgan
    table = report.table4(run.metrics, run.statistics, "original")
    cell = table.loc[(table.arm == "cgan") & (table.classifier == "f1_adaboost"), "Δ macro F1 vs original, points [95% CI]"].item()
    assert cell.startswith("+") and cell.endswith("(n = 3, not tested)") and "[" not in cell


def test_table4_means_and_cis_come_from_the_tables():
    m = metrics()
    run = run_of(m, settings())
    table = report.table4(m, run.statistics, "original")
    row = table[(table.arm == "cgan") & (table.classifier == "f1_adaboost")].iloc[0]
    values = m[(m.arm == "cgan") & (m.classifier == "f1_adaboost")]["macro_f1"]
    assert row["macro F1, mean ± sd"] == f"{values.mean():.3f} ± {values.std(ddof=1):.3f}"
    stat = run.statistics.query("arm == 'cgan' and baseline == 'original' and classifier == 'f1_adaboost' "
                                "and metric == 'macro_f1'").iloc[0]
    # differences in points, as the legend says
    assert row["Δ macro F1 vs original, points [95% CI]"] == (
        f"{100 * stat.mean_diff:+.1f} [{100 * stat.ci_low:+.1f}, {100 * stat.ci_high:+.1f}] higher")
    smoteenn = table[(table.arm == "smoteenn") & (table.classifier == "f1_adaboost")].iloc[0]
    assert smoteenn["Δ macro F1 vs original, points [95% CI]"].endswith("equivalent")
    assert row["n"] == 15
    assert table.loc[table.arm == "original", "Δ AUC vs original, points [95% CI]"].eq("reference").all()


def test_answer_rst_renders_cleanly_and_escapes_hostile_names():
    m = metrics()
    hostile = "b*d|arm`_ ../../x"
    m["arm"] = m["arm"].replace("smoteenn", hostile)
    s = settings()
    s["arms"] = {("smoteenn" if a == hostile else a): v for a, v in s["arms"].items()}
    stats = compare_arms(m, comparison_pairs(["original", hostile, "cgan", "smoteenn_cgan"]), folds=5)
    run = report.DatasetRun("d", report.run_facts(s), stats, m)
    claim = thesis_claim(stats)
    across = pd.DataFrame(columns=["classifier", "metric", "arm", "note"])
    rst = report.answer_rst([run], claim, across, with_table4=True)
    page = render(rst)  # halt_level 2: any docutils warning fails
    assert "Did balancing help?" in page and "Table 4, d" in page
    first = render(report.answer_rst([run], claim, across))  # the report's narrow first page: Table 4 elsewhere
    assert "Table 4, d" not in first and "is a page of its own: Dataset d › 1 Tables › table4_arms.html" in first
    assert "b*d|arm`_ ../../x" in page.replace("&amp;", "&")  # verbatim, not markup
    assert "thesis +6.3%" in page


def test_headline_puts_the_thesis_beside_each_dataset_and_the_mean():
    runs = [run_of(metrics(seed=s, name=f"d{s}"), settings(), name=f"d{s}") for s in range(3)]
    claim = thesis_claim(pd.concat([r.statistics for r in runs]))
    sentences = report.headline(claim)
    assert sentences[0].startswith("macro F1: thesis +6.3%; measured d0 ")
    d0 = claim[(claim.dataset == "d0") & (claim.metric == "macro_f1")].iloc[0]
    assert (f"d0 {d0.change_relative_pct:+.1f}% ({d0.change_points:+.1f} points; 95% CI "
            f"[{d0.ci_low_relative_pct:+.1f}, {d0.ci_high_relative_pct:+.1f}]% / ") in sentences[0]
    assert "mean of the 3 datasets' changes" in sentences[0] and "95% CI over datasets" in sentences[0]
    two = report.headline(thesis_claim(pd.concat([r.statistics for r in runs[:2]])))
    assert "no interval over datasets (it needs 3 or more)" in two[0]
    assert report.headline(claim.iloc[0:0]) == []  # no non-answer: nothing to say, nothing said


def test_the_confidence_level_follows_alpha():
    s = settings()
    s["statistics"]["alpha"] = 0.2
    m = metrics()
    stats = compare_arms(m, comparison_pairs(ARMS, "original"), folds=5, alpha=0.2)
    run = report.DatasetRun("d", report.run_facts(s), stats, m)
    cgan = dict(report.dataset_answer(run)["lines"])["cgan vs original"][0]
    assert "80% CI" in cgan and "95%" not in cgan
    assert "Δ macro F1 vs original, points [80% CI]" in report.table4(m, stats, "original", 0.2).columns


def test_summary_markdown_has_the_same_answer():
    run = run_of(metrics(repeats=1, folds=3), settings(repeats=1, folds=3))
    md = report.answer_markdown([run], thesis_claim(run.statistics), pd.DataFrame(columns=["note"]))
    assert md.startswith("# Did balancing help?")
    assert "## d" in md and "> **Warning.** Too few folds to test: n = 3" in md
    assert "| arm | classifier | n | macro F1, mean ± sd |" in md


def test_table2_is_the_mean_class_counts_minority_first():
    rows = []
    for fold, (cry, laugh) in enumerate([(100, 40), (104, 42)]):
        rows += [{"dataset": "d", "repeat": 0, "fold": fold, "arm": "original", "step": "final", "label": c,
                  "real": n, "smote": 0, "total": n, "real_removed": 0} for c, n in (("cry", cry), ("laugh", laugh))]
        rows += [{"dataset": "d", "repeat": 0, "fold": fold, "arm": "smoteenn", "step": "input", "label": "cry",
                  "real": cry, "smote": 0, "total": cry, "real_removed": 0},
                 {"dataset": "d", "repeat": 0, "fold": fold, "arm": "smoteenn", "step": "input", "label": "laugh",
                  "real": laugh, "smote": 0, "total": laugh, "real_removed": 0},
                 {"dataset": "d", "repeat": 0, "fold": fold, "arm": "smoteenn", "step": "final", "label": "cry",
                  "real": cry - 60, "smote": 0, "total": cry - 60, "real_removed": 60},
                 {"dataset": "d", "repeat": 0, "fold": fold, "arm": "smoteenn", "step": "final", "label": "laugh",
                  "real": laugh, "smote": cry - laugh, "total": cry, "real_removed": 0}]
    table = report.table2(pd.DataFrame(rows))
    assert list(table.columns.get_level_values(0).unique()) == ["laugh", "cry"]  # minority first
    assert table.loc[("smoteenn", "final"), ("laugh", "smote")] == 61.0
    assert table.loc[("smoteenn", "final"), ("cry", "real_removed")] == 60.0
    assert list(table.index) == [("original", "final"), ("smoteenn", "input"), ("smoteenn", "final")]


def test_table3_marks_the_chosen_checkpoint_and_failures():
    def row(checkpoint, c, js, passed, chosen, judged=True):
        return {"dataset": "d", "arm": "cgan", "repeat": 0, "fold": 0, "checkpoint": checkpoint, "class": c,
                "js_pca": js, "js_real_baseline": 0.09, "js_judged": judged, "passed": passed, "chosen": chosen}

    js = pd.DataFrame([row(100, "cry", 0.30, False, False), row(200, "cry", 0.10, True, True),
                       row(100, "neutral", 0.50, True, True, judged=False), row(200, "neutral", 0.40, True, False, False)])
    table = report.table3(js)
    assert table.loc[("cgan", 0, 0, 200), "cry"] == "0.100 *"
    assert table.loc[("cgan", 0, 0, 100), "cry"] == "0.300 x"
    assert table.loc[("cgan", 0, 0, 100), "neutral"] == "0.500 - *"
    assert table.iloc[-1]["cry"] == "0.090-0.090"


def test_html_page_escapes_labels():
    page = report.html_page("t <b>", [("h", pd.DataFrame({"label": ["<script>alert(1)</script>"]}), "n & m")])
    assert "<script>alert" not in page and "&lt;script&gt;" in page and "n &amp; m" in page


@pytest.mark.parametrize("value, expected", [(float("nan"), "p n/a"), (0.0004, "p < 0.001"), (0.0312, "p = 0.031")])
def test_p_values_read_plainly(value, expected):
    assert text._p(value) == expected


def test_across_datasets_is_ranked_or_says_why_not():
    from infantfer.statistics import across_datasets

    runs = [run_of(metrics(seed=s, name=f"d{s}"), settings(), name=f"d{s}") for s in range(3)]
    across = across_datasets(pd.concat([r.metrics for r in runs]), ARMS)
    page = render(report.answer_rst(runs, thesis_claim(pd.concat([r.statistics for r in runs])), across))
    assert "Mean rank of each arm over datasets" in page and "3 datasets: Friedman has little power" in page
    one = render(report.answer_rst(runs[:1], thesis_claim(runs[0].statistics), across.iloc[0:0]))
    assert "1 dataset(s): nothing ranked across datasets" in one


def test_verdicts_are_highlighted_and_warnings_styled():
    run = run_of(metrics(), settings())
    pages = report.answer_pages([run], thesis_claim(run.statistics), pd.DataFrame(columns=["note"]))
    html = pages["html"]
    assert '<span class="v-higher">' in html and '<span class="v-lower">' in html  # Table 4's cells
    assert ".v-higher{" in html and ".admonition.warning" in html  # answer.html carries its own style
    assert ":v-higher:" not in pages["html"] and "Table 4, d" not in pages["rst"]
    table_page = report.pages("d", pd.DataFrame({"dataset": ["d"], "repeat": [0], "fold": [0], "arm": ["original"],
                                                 "step": ["final"], "label": ["cry"], "real": [5], "total": [5],
                                                 "real_removed": [0]}),
                              run.metrics, run.statistics, None, "original", 0.05)["table4"]
    assert '<td class="v-higher">' in table_page and '<td class="v-lower">' in table_page
    assert '<td class="v-equivalent">' in table_page
    few = run_of(metrics(repeats=1, folds=3), settings(repeats=1, folds=3))
    warned = report.answer_pages([few], thesis_claim(few.statistics), pd.DataFrame(columns=["note"]))["html"]
    assert 'class="admonition warning"' in warned


def test_the_answer_says_which_recipe_the_balanced_set_follows_and_what_it_dropped():
    import pandas as pd

    from infantfer.report.answer import balanced_sentence

    metrics = pd.DataFrame({"arm": ["cgan"] * 3 + ["smoteenn_cgan"] * 3, "classifier": "f1_adaboost",
                            "macro_f1": [0.80, 0.84, 0.88, 0.70, 0.72, 0.74]})
    kept = pd.DataFrame({"arm": "cgan", "label": ["cry", "laugh"], "real_available": [150, 60],
                         "real_kept": [150, 60], "cgan": [0, 90], "total": [150, 150],
                         "why": "balanced.arm is cgan (the default when it is an arm: cgan, else smoteenn)"})
    assert balanced_sentence("demo", kept, metrics, "f1_adaboost") == (
        "The exported balanced set (results/demo/balanced) follows the cgan arm's recipe (balanced.arm is cgan "
        "(the default when it is an arm: cgan, else smoteenn)), which scored macro F1 0.840 ± 0.040 (mean ± sd over "
        "the folds, f1_adaboost); it keeps all 210 real photos, and adds 90 GAN images; its smallest class holds 1.00 of the "
        "largest's images.")
    dropped = kept.assign(arm="smoteenn_cgan", real_kept=[54, 60], total=[54, 150], why="balanced.arm is smoteenn_cgan")
    text = balanced_sentence("demo", dropped, metrics, "f1_adaboost")
    assert "follows the smoteenn_cgan arm's recipe (balanced.arm is smoteenn_cgan), which scored macro F1 0.720 ± 0.020 (mean" in text
    assert "its smallest class holds 0.36 of the largest's images" in text
    assert "it keeps 114 of the 210 real photos, dropping 96 of 150 cry (that recipe's cleaning)" in text


def test_the_answer_page_says_whether_the_gans_were_still_improving():
    from infantfer.quality import training_trend

    run = run_of(metrics(), settings())
    quality = pd.DataFrame([{"arm": "cgan", "repeat": 0, "fold": f, "checkpoint": step, "c2st_auc_mean": auc,
                             "cas_ratio": cas} for f in range(3)
                            for step, auc, cas in [(400, 0.92, 0.6), (700, 0.81, 0.75)]])
    run.gan_trend = training_trend(quality)
    assert ("the cgan arm's GANs were still improving when training stopped (from step 400 to 700 the mean "
            "two-sample AUC on pixels went 0.92 -> 0.81 and the CAS ratio 0.60 -> 0.75)") in report.dataset_answer(run)["facts"]
    page = render(report.answer_rst([run], thesis_claim(run.statistics),
                                    pd.DataFrame(columns=["classifier", "metric", "arm", "note"])))
    assert "more steps (cgan.steps) may make them better" in page
