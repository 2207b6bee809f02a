"""The answer to "did balancing help?": per dataset its comparisons in words, the thesis' headline
claim beside what the run measured, and the ranks across datasets, as the report's first page
(reStructuredText and its HTML) and as Markdown for a terminal."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import pandas as pd

from ..method import METHOD_CLASSIFIER, METRICS
from ..statistics import EQUIVALENT, IDENTICAL, INCONCLUSIVE, MEAN_ROW, MIN_PAIRS, SANITY_CLASSIFIERS, TOO_FEW
from .tables import table4
from .text import (METRIC_NAMES, TESTED, _ci, _heading, _markdown_table, _num, _p, _rst_emphasis, _rst_escape, level,
                   rst_table)

log = logging.getLogger(__name__)

ACROSS_NONE = ("{n} dataset(s): nothing ranked across datasets (mean ranks need 2 datasets with arms in common, "
               "Friedman's test and the critical-difference diagram 3 or more, and they say little below about 10).")


def _notes(across: pd.DataFrame) -> str:
    return "; ".join(n for n in dict.fromkeys(across["note"].dropna().astype(str)) if n)


@dataclass
class DatasetRun:
    """What the answer needs of one dataset: the facts of its run (:func:`run_facts`) and its tables."""

    name: str
    facts: dict
    statistics: pd.DataFrame
    metrics: pd.DataFrame


def run_facts(settings: dict) -> dict:
    """The settings a reader needs to judge a dataset's numbers, from its resolved settings."""
    split, cgan = settings["split"], settings["cgan"]
    arms = settings["arms"]
    gan = any(a.get("gan") for a in arms.values())
    return {
        "face_size": settings["faces"]["size"],
        "folds": split["folds"],
        "repeats": split["repeats"],
        "n": split["folds"] * split["repeats"],
        "gan": gan,
        "gan_steps": cgan["steps"] if gan else None,
        "gan_size": cgan["size"] if gan else None,
        "arms": list(arms),
        "classifiers": list(settings["evaluate"]["classifiers"]),
        "reference": settings["statistics"]["reference"],
        "alpha": settings["statistics"]["alpha"],
    }


def facts_sentence(f: dict) -> str:
    gan = (f"GANs of {f['gan_steps']} steps at {f['gan_size']} x {f['gan_size']} px" if f["gan"]
           else "no GAN arm")
    return (f"{f['face_size']} x {f['face_size']} px greyscale faces; {f['repeats']} repeat(s) x {f['folds']} "
            f"grouped folds (n = {f['n']} paired test folds); {gan}; arms {', '.join(f['arms'])}; "
            f"classifiers {', '.join(f['classifiers'])}; every arm is tested on the same real test images.")


def comparison_sentence(row: pd.Series, alpha: float = 0.05) -> str:
    """One comparison in words: its verdict, the difference, its CI and p-value, and n."""
    name = METRIC_NAMES.get(row["metric"], row["metric"])
    diff = f"{_num(row['mean_diff'], sign=True)} ({_num(row['rel_change_pct'], 1, sign=True)}%)"
    verdict = row["verdict"]
    n = int(row["n"])
    ci = f"{level(alpha)} CI {_ci(row['ci_low'], row['ci_high'])} (unadjusted)"
    if verdict in ("higher", "lower"):
        return f"{name} **{verdict}**: {diff}; {ci}, Holm-adjusted {_p(row['p_holm'])}, n = {n}"
    if verdict in (EQUIVALENT, INCONCLUSIVE):
        return (f"{name}: {verdict} within ±{row['rope_points']:g} points ({diff}; {ci}, Holm-adjusted "
                f"{_p(row['p_holm'])}, P(within ±{row['rope_points']:g}) = {row['p_rope']:.2f}, n = {n})")
    if verdict == IDENTICAL:
        return f"{name}: identical on every paired fold (n = {n})"
    if verdict == TOO_FEW:
        return f"{name} {diff} (n = {n}, too few folds to test)"
    return f"{name}: {verdict} (n = {n})"


def _pairs_of(stats: pd.DataFrame, classifier: str) -> list[tuple[str, str]]:
    mine = stats[stats["classifier"] == classifier]
    return list(dict.fromkeys(zip(mine["arm"], mine["baseline"])))


def dataset_answer(run: DatasetRun, classifier: str = METHOD_CLASSIFIER) -> dict:
    """The answer for one dataset as plain pieces (title, facts, warning, comparison lines),
    rendered by :func:`answer_rst` and :func:`answer_markdown`."""
    stats = run.statistics
    if classifier not in set(stats["classifier"]):
        classifier = stats["classifier"].iloc[0] if len(stats) else classifier
    facts = run.facts
    n_max = int(stats["n"].max()) if len(stats) else 0
    warning = None
    if n_max < MIN_PAIRS:
        warning = (f"Too few folds to test: n = {n_max} paired test folds, and the corrected t-test needs at "
                   f"least {MIN_PAIRS}. The differences below are means only, with no confidence interval or "
                   f"p-value; set split.repeats and split.folds so that repeats x folds >= {MIN_PAIRS} "
                   f"(the default 3 x 5 gives 15).")
    lines = []
    for arm, baseline in _pairs_of(stats, classifier):
        rows = stats[(stats["classifier"] == classifier) & (stats["arm"] == arm) & (stats["baseline"] == baseline)]
        parts = [comparison_sentence(r, facts["alpha"]) for _, r in rows.set_index("metric").reindex(METRICS).dropna(
            subset=["arm"]).reset_index().iterrows()]
        lines.append((f"{arm} vs {baseline}", parts))
    tested = stats[stats["verdict"].isin(TESTED) & ~stats["classifier"].isin(SANITY_CLASSIFIERS)]
    differing = tested[tested["verdict"].isin(["higher", "lower"])]
    overall = (f"Over every classifier (but {', '.join(SANITY_CLASSIFIERS)}) and metric, {len(differing)} of "
               f"{len(tested)} tested comparisons differ at Holm-adjusted p < {facts['alpha']}." if len(tested) else None)
    text = facts_sentence(run.facts)
    if len(stats) and stats["ratio_measured"].notna().any():
        text += (f" The folds' test/train size ratio is {stats['ratio_measured'].dropna().iloc[0]:.2f}; the corrected "
                 f"t-test uses 1/(folds - 1) = {stats['ratio_used'].iloc[0]:.2f}.")
    return {"title": run.name, "facts": text, "warning": warning,
            "classifier": classifier, "lines": lines, "overall": overall}


def headline(thesis: pd.DataFrame, classifier: str = METHOD_CLASSIFIER, alpha: float = 0.05) -> list[str]:
    """The thesis' claim next to what this run measured, one sentence per metric: each dataset's
    change with its CI (or why none), and the mean over datasets with its CI (or why none)."""
    if thesis.empty:
        return [f"The method's headline comparison (smoteenn_cgan vs cgan with {classifier}) needs both arms and "
                f"that classifier in at least one dataset; this run has no such dataset."]
    sentences = []
    mean_rows = thesis[thesis["dataset"] == MEAN_ROW]
    per_dataset = thesis[thesis["dataset"] != MEAN_ROW]
    for metric in METRICS:
        mine = per_dataset[per_dataset["metric"] == metric]
        if mine.empty:
            continue
        claim = mine["thesis_pct"].iloc[0]
        measured = []
        for _, r in mine.iterrows():
            text = (f"{r['dataset']} {_num(r['change_relative_pct'], 1, sign=True)}% "
                    f"({_num(r['change_points'], 1, sign=True)} points")
            if r["verdict"] in TESTED:
                text += (f"; {level(alpha)} CI {_ci(r['ci_low_relative_pct'], r['ci_high_relative_pct'], 1)}% / "
                         f"{_ci(r['ci_low_points'], r['ci_high_points'], 1)} points; {r['verdict']}, n = {int(r['n'])})")
            else:
                text += f"; {r['verdict']}, n = {int(r['n'])})"
            measured.append(text)
        text = f"{METRIC_NAMES[metric]}: thesis +{claim}%; measured " + "; ".join(measured)
        mean = mean_rows[mean_rows["metric"] == metric]
        if len(mean) and len(mine) > 1:
            m = mean.iloc[0]
            text += (f"; mean of the {int(m['n_datasets'])} datasets' changes {_num(m['change_relative_pct'], 1, sign=True)}% "
                     f"({_num(m['change_points'], 1, sign=True)} points)")
            if not math.isnan(m["ci_low_relative_pct"]):
                text += f", {level(alpha)} CI over datasets {_ci(m['ci_low_relative_pct'], m['ci_high_relative_pct'], 1)}%"
            else:
                text += ", no interval over datasets (it needs 3 or more)"
        sentences.append(text + ".")
    return sentences



def answer_rst(runs: list[DatasetRun], thesis: pd.DataFrame, across: pd.DataFrame) -> str:
    """The report's first page: per dataset the answer and Table 4, then the thesis' claim."""
    lines = _heading("Did balancing help?", "=")
    lines += [_rst_escape(
        "Each arm's classifiers were tested on the same real test images of each fold; differences are paired "
        "over repeat x fold, tested with the Nadeau-Bengio corrected resampled t-test (Holm-adjusted within "
        "each dataset x classifier x metric) and Wilcoxon's signed-rank test beside it. Confidence intervals "
        "are unadjusted; a relative CI is the difference's CI divided by the baseline's mean."), ""]
    alpha = runs[0].facts["alpha"] if runs else 0.05
    lines += _heading("The method's headline: smoteenn_cgan vs cgan", "-")
    for sentence in headline(thesis, alpha=alpha):
        lines += [f"- {_rst_emphasis(sentence)}"]
    lines += ["", _rst_escape("The thesis does not say whether its percentages are relative changes or points: "
                              "both are shown (thesis_claim.tsv)."), ""]
    for run in runs:
        a = dataset_answer(run)
        lines += _heading(f"{a['title']}", "-")
        lines += [_rst_escape(a["facts"]), ""]
        if a["warning"]:
            lines += [".. warning::", "", f"   {_rst_escape(a['warning'])}", ""]
        who = "the method's classifier" if a["classifier"] == METHOD_CLASSIFIER else \
            f"{METHOD_CLASSIFIER}, the method's classifier, is not configured"
        lines += [f"With {_rst_escape(a['classifier'])} ({_rst_escape(who)}):", ""]
        for pair, parts in a["lines"]:
            lines += [f"- {_rst_escape(pair)}: " + "; ".join(_rst_emphasis(p) for p in parts) + "."]
        lines += [""]
        if a["overall"]:
            lines += [_rst_escape(a["overall"]), ""]
        reference = run.facts["reference"]
        t4 = table4(run.metrics, run.statistics, reference, run.facts["alpha"])
        t4 = t4[t4["classifier"] == a["classifier"]].drop(columns="classifier")  # every classifier: the Table 4 page
        lines += rst_table(t4, f"Table 4, {run.name} ({a['classifier']}): mean ± sd over folds; "
                               f"Δ vs {reference} with its {level(run.facts['alpha'])} CI (unadjusted)")
    lines += _heading("Across datasets", "-")
    if across.empty:
        lines += [_rst_escape(ACROSS_NONE.format(n=len(runs))), ""]
    else:
        note = _notes(across)
        if note:
            lines += [_rst_escape(note), ""]
        mine = across[across["classifier"] == METHOD_CLASSIFIER]
        if len(mine):
            show = mine.pivot_table(index="arm", columns="metric", values="mean_rank", sort=False).round(2)
            show = show.reset_index().rename(columns={m: f"mean rank, {METRIC_NAMES.get(m, m)}" for m in METRICS})
            lines += rst_table(show, f"Mean rank of each arm over datasets ({METHOD_CLASSIFIER}; 1 = best)")
            for _, r in mine.drop_duplicates("metric").iterrows():
                if not math.isnan(r["friedman_p"]):
                    lines += [f"- {METRIC_NAMES.get(r['metric'], r['metric'])}: Friedman chi2 = "
                              f"{r['friedman_chi2']:.2f}, {_p(r['friedman_p'])} over {int(r['n_datasets'])} datasets."]
            lines += [""]
    return "\n".join(lines) + "\n"


def answer_markdown(runs: list[DatasetRun], thesis: pd.DataFrame, across: pd.DataFrame) -> str:
    """``results/summary.md``: the same answer for a terminal."""
    alpha = runs[0].facts["alpha"] if runs else 0.05
    out = ["# Did balancing help?", ""]
    out += ["Paired over repeat x fold on real test images; Nadeau-Bengio corrected t-test, Holm-adjusted; "
            f"{level(alpha)} CIs unadjusted.", "", "## The method's headline: smoteenn_cgan vs cgan", ""]
    out += [f"- {s}" for s in headline(thesis, alpha=alpha)] + [""]
    for run in runs:
        a = dataset_answer(run)
        out += [f"## {a['title']}", "", a["facts"], ""]
        if a["warning"]:
            out += [f"> **Warning.** {a['warning']}", ""]
        out += [f"With {a['classifier']}:", ""]
        out += [f"- {pair}: " + "; ".join(parts) + "." for pair, parts in a["lines"]] + [""]
        if a["overall"]:
            out += [a["overall"], ""]
        t4 = table4(run.metrics, run.statistics, run.facts["reference"], run.facts["alpha"])
        out += _markdown_table(t4) + [""]
    out += ["## Across datasets", ""]
    if across.empty:
        out += [ACROSS_NONE.format(n=len(runs)), ""]
    else:
        out += [_notes(across) or "Mean ranks and Friedman's test: "
                "results/statistics_across_datasets.tsv.", ""]
    return "\n".join(out) + "\n"



def across_tables(runs: list[DatasetRun], arms: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The thesis' claim over the datasets' comparisons (at the smallest ``statistics.alpha`` of
    them) and the arms' ranks across datasets, for ``thesis_claim.tsv`` and
    ``statistics_across_datasets.tsv``."""
    from ..statistics import across_datasets, thesis_claim

    alphas = {r.facts["alpha"] for r in runs}
    if len(alphas) > 1:
        log.warning("datasets use different statistics.alpha %s: the interval over datasets uses %s", sorted(alphas),
                    min(alphas))
    thesis = thesis_claim(pd.concat([r.statistics for r in runs], ignore_index=True), alpha=min(alphas))
    if thesis.empty:
        log.warning("no dataset has smoteenn_cgan and cgan with f1_adaboost: the thesis' claim cannot be checked")
    across = across_datasets(pd.concat([r.metrics for r in runs], ignore_index=True), arms)
    return thesis, across


def answer_pages(runs: list[DatasetRun], thesis: pd.DataFrame, across: pd.DataFrame) -> dict[str, str]:
    """The answer as ``rst`` (the report's first page), its ``html`` and ``markdown`` (results/summary.md)."""
    rst = answer_rst(runs, thesis, across)
    return {"rst": rst, "html": rst_to_html(rst), "markdown": answer_markdown(runs, thesis, across)}


def rst_to_html(rst: str) -> str:
    """A standalone HTML page of reStructuredText; no file inclusion or raw HTML, a warning stops it."""
    from docutils.core import publish_string

    return publish_string(rst, writer="html", settings_overrides={
        "halt_level": 2, "report_level": 5, "file_insertion_enabled": False, "raw_enabled": False}).decode("utf-8")
