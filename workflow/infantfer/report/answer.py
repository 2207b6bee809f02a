"""The answer to "did balancing help?": first per dataset one sentence and the thesis' claim line
(:mod:`.lead`), what "%" means and the forest plot of the paired differences; then what each run
could detect (:mod:`.power`), each dataset's comparisons in words with its Table 4, and the ranks
across datasets; as the report's first page (reStructuredText and its HTML) and as Markdown for a
terminal."""

from __future__ import annotations

import base64
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..method import METHOD_CLASSIFIER
from ..metrics import METRICS
from ..statistics import (AT_CHANCE, CONSTANT, DIFFERENCES, EQUIVALENT, HIGHER_IN_ROPE, IDENTICAL, INCONCLUSIVE,
                          LOWER_IN_ROPE, MEAN_ROW, MIN_PAIRS, SANITY_CLASSIFIERS, TOO_FEW)
from ..statistics.paired import ALPHA
from .lead import answer_classifier, claim_line, dataset_lead, percent_note, shows_percent
from .notes import balanced_sentence, check_sentences, gan_trend_sentence, per_class_sentence
from .power import power_sentences
from .tables import STYLE, table4
from .text import (METRIC_NAMES, TESTED, _ci, _heading, _markdown_table, _num, _p, _rst_emphasis, _rst_escape, level,
                   rst_roles, rst_table)

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
    forest: str | Path | None = None  # the dataset's forest plot (PNG), embedded in the answer
    balanced: pd.DataFrame | None = None  # the exported balanced set's classes.tsv
    gan_trend: pd.DataFrame | None = None  # infantfer.quality.training_trend of its gan_quality.tsv
    sanity: pd.DataFrame | None = None  # its sanity.tsv: the checks before the verdicts
    per_class: pd.DataFrame | None = None  # its per_class_statistics.tsv (exploratory)


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
        "primary_metric": settings["statistics"]["primary_metric"],
        "alpha": settings["statistics"]["alpha"],
        "rope": dict(settings["statistics"]["rope"]),
    }


def facts_sentence(f: dict) -> str:
    gan = (f"GANs of {f['gan_steps']} steps at {f['gan_size']} x {f['gan_size']} px" if f["gan"]
           else "no GAN arm")
    repeats = f"{f['repeats']} repeat{'' if f['repeats'] == 1 else 's'}"
    return (f"{f['face_size']} x {f['face_size']} px greyscale faces; {repeats} x {f['folds']} "
            f"grouped folds (n = {f['n']} paired test folds); {gan}; arms {', '.join(f['arms'])}; "
            f"classifiers {', '.join(f['classifiers'])}; every arm is tested on the same real test images.")


def _relative_of(row: pd.Series, value: float) -> str:
    """'+11.6%' of the baseline's mean, or '' where that mean is below 0.1."""
    mean = row["baseline_mean"]
    return f", {value:+.1f}%" if shows_percent(mean) else ""


def comparison_sentence(row: pd.Series, alpha: float = ALPHA) -> str:
    """One comparison in words, in points: its verdict, the difference and its CI, Holm's p, what
    the posterior puts within the rope, and n."""
    name = METRIC_NAMES.get(row["metric"], row["metric"])
    if row.get("metric_role") in ("primary", "secondary"):
        name += f" ({row['metric_role']})"
    diff = f"{_num(100 * row['mean_diff'], 1, sign=True)} points{_relative_of(row, row['rel_change_pct'])}"
    verdict, n = row["verdict"], int(row["n"])
    ci = f"{level(alpha)} CI {_ci(100 * row['ci_low'], 100 * row['ci_high'], 1)}"
    rope = f"±{row['rope_points']:g}"
    if verdict in DIFFERENCES:
        return (f"{name} **{verdict}**: {diff}; {ci}, Holm-adjusted {_p(row['p_holm'])}"
                + (f" (the whole CI inside {rope} points)" if verdict in (HIGHER_IN_ROPE, LOWER_IN_ROPE) else "")
                + f", n = {n}")
    if verdict == EQUIVALENT:
        return (f"{name} **equivalent** within {rope} points: {diff}; {level(2 * row['tost_level'])} CI "
                f"{_ci(100 * row['tost_ci_low'], 100 * row['tost_ci_high'], 1)} (two one-sided tests at the row's "
                f"Holm level), Holm-adjusted {_p(row['p_tost_holm'])}, n = {n}")
    if verdict == CONSTANT:
        return f"{name}: a constant difference, {diff} on every paired fold (no variance: not tested), n = {n}"
    if verdict == AT_CHANCE:
        return (f"{name}: {diff}; no equivalence or identity is claimed, since the reference does not beat chance "
                f"(sanity.tsv), n = {n}")
    if verdict == INCONCLUSIVE:
        unadjusted = (" (excludes 0 before Holm's adjustment only)" if row["ci_low"] > 0 or row["ci_high"] < 0
                      else "")
        return (f"{name} inconclusive: {diff}; {ci}{unadjusted}, Holm-adjusted {_p(row['p_holm'])}; "
                f"P(lower / within {rope} / higher) = {row['p_lower']:.2f} / {row['p_rope']:.2f} / "
                f"{row['p_higher']:.2f}, n = {n}")
    if verdict == IDENTICAL:
        return f"{name}: identical on every paired fold (n = {n})"
    if verdict == TOO_FEW:
        return f"{name} {diff} (n = {n}, too few folds to test)"
    return f"{name}: {verdict} (n = {n})"


def _pairs_of(stats: pd.DataFrame, classifier: str) -> list[tuple[str, str]]:
    mine = stats[stats["classifier"] == classifier]
    return list(dict.fromkeys(zip(mine["arm"], mine["baseline"])))


def dataset_answer(run: DatasetRun, classifier: str | None = None) -> dict:
    """The answer for one dataset as plain pieces (title, lead, facts, warning, power, comparison
    lines), rendered by :func:`answer_rst` and :func:`answer_markdown`."""
    stats, facts = run.statistics, run.facts
    classifier = classifier if classifier in set(stats["classifier"]) else answer_classifier(stats)
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
        rows = rows.set_index("metric").reindex(METRICS).dropna(subset=["arm"]).reset_index()
        lines.append((f"{arm} vs {baseline}", [comparison_sentence(r, facts["alpha"]) for _, r in rows.iterrows()]))
    tested = stats[stats["verdict"].isin(TESTED) & ~stats["classifier"].isin(SANITY_CLASSIFIERS)]
    counts = tested["verdict"].value_counts()
    overall = (f"Over every classifier but {', '.join(SANITY_CLASSIFIERS)} (a sanity check, with no verdict) and "
               f"every metric, of {len(tested)} tested comparisons {counts.get('higher', 0)} are higher, "
               f"{counts.get('lower', 0)} lower, "
               f"{counts.get(HIGHER_IN_ROPE, 0) + counts.get(LOWER_IN_ROPE, 0)} different within the rope, "
               f"{counts.get(EQUIVALENT, 0)} equivalent and {counts.get(INCONCLUSIVE, 0)} inconclusive."
               if len(tested) else None)
    text = facts_sentence(facts)
    if len(stats) and stats["ratio_measured"].notna().any():
        text += (f" The folds' test/train size ratio is {stats['ratio_measured'].dropna().iloc[0]:.2f}; the corrected "
                 f"t-test uses 1/(folds - 1) = {stats['ratio_used'].iloc[0]:.2f}.")
    if run.balanced is not None:
        text += " " + balanced_sentence(run.name, run.balanced, run.metrics, classifier)
    trend = gan_trend_sentence(run.gan_trend) if run.gan_trend is not None else None
    if trend:
        text += " " + trend
    checks, degenerate = check_sentences(run.sanity, facts)
    classes = per_class_sentence(run.per_class, classifier, facts["reference"], facts["alpha"])
    if classes:
        text += " " + classes
    if degenerate:
        warning = " ".join([warning, *degenerate]) if warning else " ".join(degenerate)
    return {"title": run.name, "lead": dataset_lead(run.name, stats, facts["reference"], facts["alpha"],
                                                    facts.get("primary_metric", METRICS[0]), run.sanity),
            "facts": text, "warning": warning, "classifier": classifier, "lines": lines, "overall": overall,
            "power": power_sentences(stats, classifier, METRICS, facts["folds"], facts["repeats"]), "checks": checks}


def headline(thesis: pd.DataFrame, classifier: str = METHOD_CLASSIFIER, alpha: float = ALPHA) -> list[str]:
    """The thesis' claim next to what this run measured, one sentence per metric: each dataset's
    change with its CI (or why none), and the mean over datasets with its CI (or why none); no
    sentence when no dataset ran both arms. % only where cgan's mean is 0.1 or more."""
    sentences = []
    mean_rows = thesis[thesis["dataset"] == MEAN_ROW]
    per_dataset = thesis[thesis["dataset"] != MEAN_ROW]
    for metric in METRICS:
        mine = per_dataset[per_dataset["metric"] == metric]
        if mine.empty:
            continue
        measured = []
        for _, r in mine.iterrows():
            relative = shows_percent(r["cgan_mean"])
            text = (f"{r['dataset']} {_num(r['change_relative_pct'], 1, sign=True)}% "
                    f"({_num(r['change_points'], 1, sign=True)} points" if relative else
                    f"{r['dataset']} {_num(r['change_points'], 1, sign=True)} points (cgan's mean below 0.1: no %")
            if r["verdict"] in TESTED:
                rel_ci = (f"{_ci(r['ci_low_relative_pct'], r['ci_high_relative_pct'], 1)}% / " if relative else "")
                text += (f"; {level(alpha)} CI {rel_ci}{_ci(r['ci_low_points'], r['ci_high_points'], 1)} points; "
                         f"{r['verdict']}, n = {int(r['n'])})")
            else:
                text += f"; {r['verdict']}, n = {int(r['n'])})"
            measured.append(text)
        text = f"{METRIC_NAMES[metric]}: thesis +{mine['thesis_pct'].iloc[0]}%; measured " + "; ".join(measured)
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


def _forest_rst(run: DatasetRun) -> list[str]:
    """The forest plot as an image embedded in the page (a data URI: answer.html stays one file)."""
    if run.forest is None or not Path(run.forest).is_file():
        return []
    data = base64.b64encode(Path(run.forest).read_bytes()).decode("ascii")
    alt = _rst_escape(f"Forest plot of {run.name}: each arm's paired difference from the reference with its CI")
    # the URI continues over indented lines (reStructuredText drops the whitespace): docutils
    # refuses lines longer than 10,000 characters
    chunks = [data[i:i + 76] for i in range(0, len(data), 76)]
    return [".. image:: data:image/png;base64,", *[f"   {c}" for c in chunks], f"   :alt: {alt}", ""]


def _lead(runs: list[DatasetRun], thesis: pd.DataFrame) -> tuple[list[str], str | None, str]:
    """The first lines: one sentence per dataset, the thesis' claim line (or None) and what % means."""
    alpha = runs[0].facts["alpha"] if runs else 0.05
    leads = [dataset_lead(r.name, r.statistics, r.facts["reference"], r.facts["alpha"],
                          r.facts.get("primary_metric", METRICS[0]), r.sanity) for r in runs]
    claim = claim_line(thesis, alpha)
    return leads, claim, percent_note(runs, lambda r: r.facts["reference"], alpha, with_claim=claim is not None)


def answer_rst(runs: list[DatasetRun], thesis: pd.DataFrame, across: pd.DataFrame, with_table4: bool = False) -> str:
    """The answer's page: the lead, the forest plots, what each run could detect, then per dataset
    its comparisons (and, ``with_table4``, its Table 4 with the verdicts highlighted; the report's
    first page is a narrow column, so there Table 4 is a page of its own), the thesis' claim in
    detail and the ranks across datasets."""
    lines = rst_roles() + _heading("Did balancing help?", "=")
    leads, claim, percent = _lead(runs, thesis)
    lines += [f"- {_rst_escape(sentence)}" for sentence in leads] + [""]
    if claim:
        lines += [_rst_escape(claim), ""]
    lines += [_rst_escape(percent), ""]
    for run in runs:
        lines += _forest_rst(run)
    for run in runs:
        a = dataset_answer(run)
        lines += _heading(f"{a['title']}", "-")
        lines += [_rst_escape(a["facts"]), ""]
        if a["warning"]:
            lines += [".. warning::", "", f"   {_rst_escape(a['warning'])}", ""]
        if a["checks"]:
            lines += ["Checks before the verdicts (sanity.tsv):", ""] + [f"- {_rst_escape(c)}" for c in a["checks"]] + [""]
        if a["power"]:
            lines += ["What this run could detect:", ""] + [f"- {_rst_escape(p)}" for p in a["power"]] + [""]
        lines += [f"With {_rst_escape(a['classifier'])}:", ""]
        for pair, parts in a["lines"]:
            lines += [f"- {_rst_escape(pair)}:", ""] + [f"  - {_rst_emphasis(p)}" for p in parts] + [""]
        if a["overall"]:
            lines += [_rst_escape(a["overall"]), ""]
        if with_table4:
            lines += _table4_rst(run, a["classifier"])
        else:
            lines += [_rst_escape(f"Table 4 of {run.name} (every arm, classifier and metric, the verdicts highlighted) "
                                  f"is a page of its own: Dataset {run.name} › 1 Tables › table4_arms.html; "
                                  "answer.html (Answer) shows it too."), ""]
    if not thesis[thesis["dataset"] != MEAN_ROW].empty:
        lines += _heading("The method's headline: smoteenn_cgan vs cgan", "-")
        alpha = runs[0].facts["alpha"] if runs else 0.05
        lines += [f"- {_rst_emphasis(sentence)}" for sentence in headline(thesis, alpha=alpha)]
        lines += ["", _rst_escape("The thesis does not say whether its percentages are relative changes or points: "
                                  "both are shown (thesis_claim.tsv)."), ""]
    return "\n".join(lines + _across_rst(runs, across)) + "\n"


def _table4_rst(run: DatasetRun, classifier: str) -> list[str]:
    reference, alpha = run.facts["reference"], run.facts["alpha"]
    t4 = table4(run.metrics, run.statistics, reference, alpha)
    t4 = t4[t4["classifier"] == classifier].drop(columns="classifier")  # every classifier: the Table 4 page
    return rst_table(t4, f"Table 4, {run.name} ({classifier}): mean ± sd over folds; "
                         f"Δ vs {reference} with its {level(alpha)} CI (unadjusted) and verdict", highlight=True)


def _across_rst(runs: list[DatasetRun], across: pd.DataFrame) -> list[str]:
    lines = _heading("Across datasets", "-")
    if across.empty:
        return lines + [_rst_escape(ACROSS_NONE.format(n=len(runs))), ""]
    note = _notes(across)
    if note:
        lines += [_rst_escape(note), ""]
    mine = across[across["classifier"] == METHOD_CLASSIFIER]
    if len(mine):
        show = mine.pivot_table(index="arm", columns="metric", values="mean_rank", sort=False).round(2)
        show = show.reset_index().rename(columns={m: f"mean rank, {METRIC_NAMES.get(m, m)}" for m in METRICS})
        lines += rst_table(show, f"Mean rank of each arm over datasets ({METHOD_CLASSIFIER}; 1 = best)")
        lines += [f"- {_rst_escape(s)}" for s in across_sentences(mine)] + [""]
    return lines


def across_sentences(rows: pd.DataFrame) -> list[str]:
    """Per metric: Friedman with Iman and Davenport's F, then each arm against the reference over
    the datasets (the signs, Wilcoxon with Holm, or why no p-value can be small enough)."""
    out = []
    for metric, mine in rows.groupby("metric", sort=False):
        r, name = mine.iloc[0], METRIC_NAMES.get(metric, metric)
        text = f"{name} over {int(r['n_datasets'])} datasets: "
        if not math.isnan(r["friedman_p"]):
            f = "infinite" if r["iman_davenport_f"] == math.inf else f"{r['iman_davenport_f']:.2f}"
            text += (f"Friedman chi2 = {r['friedman_chi2']:.2f}, {_p(r['friedman_p'])}; Iman-Davenport F = {f}, "
                     f"{_p(r['iman_davenport_p'])}. ")
        tested = mine[mine["verdict"].notna() & (mine["verdict"] != "")]
        if len(tested):
            ref = r["reference"]
            parts = [f"{t['arm']} {int(t['n_higher'])} higher / {int(t['n_lower'])} lower than {ref}"
                     + (f", Wilcoxon Holm-adjusted {_p(t['wilcoxon_p_holm'])} ({t['verdict']})"
                        if t["verdict"] != "ranks and signs only" else "")
                     + (f", P(lower / within rope / higher) = {t['bayes_p_lower']:.2f} / {t['bayes_p_rope']:.2f} / "
                        f"{t['bayes_p_higher']:.2f}" if not math.isnan(t["bayes_p_higher"]) else "")
                     for _, t in tested.iterrows()]
            text += "; ".join(parts) + "."
            if (tested["verdict"] == "ranks and signs only").any():
                text += (f" With {int(r['n_datasets'])} datasets no Wilcoxon p-value can be below "
                         f"{tested['min_attainable_p'].max():.3g}: ranks and signs only.")
        out.append(text.strip())
    return out


def answer_markdown(runs: list[DatasetRun], thesis: pd.DataFrame, across: pd.DataFrame) -> str:
    """``results/summary.md``: the same answer for a terminal."""
    out = ["# Did balancing help?", ""]
    leads, claim, percent = _lead(runs, thesis)
    out += [f"- {sentence}" for sentence in leads] + [""]
    out += ([claim, ""] if claim else []) + [percent, ""]
    for run in runs:
        a = dataset_answer(run)
        out += [f"## {a['title']}", "", a["facts"], ""]
        if a["warning"]:
            out += [f"> **Warning.** {a['warning']}", ""]
        if a["checks"]:
            out += ["Checks before the verdicts (sanity.tsv):", ""] + [f"- {c}" for c in a["checks"]] + [""]
        if a["power"]:
            out += ["What this run could detect:", ""] + [f"- {p}" for p in a["power"]] + [""]
        out += [f"With {a['classifier']}:", ""]
        for pair, parts in a["lines"]:
            out += [f"- {pair}:"] + [f"  - {p}" for p in parts]
        out += [""] + ([a["overall"], ""] if a["overall"] else [])
        if run.forest is not None:
            out += [f"Forest plot (the paired differences with their CIs): {Path(run.forest).as_posix()}", ""]
        t4 = table4(run.metrics, run.statistics, run.facts["reference"], run.facts["alpha"])
        out += _markdown_table(t4) + [""]
    if not thesis[thesis["dataset"] != MEAN_ROW].empty:
        alpha = runs[0].facts["alpha"] if runs else 0.05
        out += ["## The method's headline: smoteenn_cgan vs cgan", ""]
        out += [f"- {s}" for s in headline(thesis, alpha=alpha)] + [""]
    out += ["## Across datasets", ""]
    if across.empty:
        out += [ACROSS_NONE.format(n=len(runs)), ""]
    else:
        mine = across[across["classifier"] == METHOD_CLASSIFIER]
        out += [f"- {s}" for s in across_sentences(mine)] + [""] if len(mine) else []
        out += [_notes(across) or "Mean ranks and the tests: results/statistics_across_datasets.tsv.", ""]
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
    first = runs[0].facts if runs else {}
    across = across_datasets(pd.concat([r.metrics for r in runs], ignore_index=True), arms,
                             reference=first.get("reference", "original"), ropes=first.get("rope"), alpha=min(alphas))
    return thesis, across


def answer_pages(runs: list[DatasetRun], thesis: pd.DataFrame, across: pd.DataFrame) -> dict[str, str]:
    """The answer as ``rst`` (the report's first page), its ``html`` and ``markdown`` (results/summary.md)."""
    return {"rst": answer_rst(runs, thesis, across), "html": rst_to_html(answer_rst(runs, thesis, across, True)),
            "markdown": answer_markdown(runs, thesis, across)}


def rst_to_html(rst: str) -> str:
    """A standalone HTML page of reStructuredText; no file inclusion or raw HTML, a warning stops it."""
    from docutils.core import publish_string

    page = publish_string(rst, writer="html", settings_overrides={
        "halt_level": 2, "report_level": 5, "file_insertion_enabled": False, "raw_enabled": False}).decode("utf-8")
    return page.replace("</head>", f"<style>{STYLE}\nbody{{max-width:78em}}</style>\n</head>", 1)
