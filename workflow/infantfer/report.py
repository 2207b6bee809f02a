"""The report's words and tables: the answer to "did balancing help?" and the method's Tables 2-4.

Everything here is generated from a run's own tables (``statistics.tsv``, ``metrics.tsv``,
``class_counts.tsv``, ``js_divergence.tsv``, ``thesis_claim.tsv``) and each dataset's resolved
settings, never from top-level defaults: a fact in the report is a fact of the run. The answer is
written twice, as reStructuredText (the first page of ``snakemake --report``) and as Markdown
(``results/summary.md``, for a terminal); the tables as small standalone HTML pages. No file name,
path or image of the dataset appears in any of them. Imports only pandas (and the standard
library), so these jobs start in a fraction of a second.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import pandas as pd

from .statistics import IDENTICAL, MEAN_ROW, METRICS, MIN_PAIRS, NO_DIFFERENCE, TOO_FEW

METHOD_CLASSIFIER = "f1_adaboost"  # the thesis' classifier: the answer's headline numbers use it
METRIC_NAMES = {"macro_f1": "macro F1", "g_mean": "G-mean", "auc_ovr": "AUC"}
TESTED = ("higher", "lower", NO_DIFFERENCE)  # verdicts that come from a test
SANITY_CLASSIFIERS = ("chance",)  # baselines of the classifiers, not counted among the answer's comparisons
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


# ------------------------------------------------------------------------------------ formatting
def _num(x: float, digits: int = 3, sign: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"


def _p(p: float) -> str:
    """``p = 0.031`` or ``p < 0.001``."""
    if p is None or math.isnan(p):
        return "p n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def level(alpha: float) -> str:
    """The confidence level of (1 - alpha) intervals, e.g. ``95%``."""
    return f"{100 * (1 - alpha):g}%"


def _ci(low: float, high: float, digits: int = 3) -> str:
    if any(v is None or math.isnan(v) for v in (low, high)):
        return ""
    return f"[{low:+.{digits}f}, {high:+.{digits}f}]"


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
    if verdict == NO_DIFFERENCE:
        return f"{name}: no detectable difference ({diff}; {ci}, Holm-adjusted {_p(row['p_holm'])}, n = {n})"
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


# ----------------------------------------------------------------------------------- the tables
def table4(metrics: pd.DataFrame, stats: pd.DataFrame, reference: str, alpha: float = 0.05) -> pd.DataFrame:
    """The thesis' Table 4: per arm and classifier, each metric's mean +- sd over the folds, and
    its difference from ``reference`` with the corrected-t (1 - alpha) CI (unadjusted) or why there is none."""
    rows = []
    for (arm, classifier), mine in metrics.groupby(["arm", "classifier"], sort=False):
        row = {"arm": arm, "classifier": classifier, "n": int(mine[METRICS[0]].notna().sum())}
        for m in METRICS:
            row[METRIC_NAMES[m]] = f"{_num(mine[m].mean())} ± {_num(mine[m].std(ddof=1))}"
            hit = stats[(stats["arm"] == arm) & (stats["baseline"] == reference)
                        & (stats["classifier"] == classifier) & (stats["metric"] == m)]
            if arm == reference or hit.empty:
                cell = "reference" if arm == reference else ""
            else:
                h = hit.iloc[0]
                cell = _num(h["mean_diff"], sign=True)
                if h["verdict"] in TESTED:
                    cell += f" {_ci(h['ci_low'], h['ci_high'])} " + ("n.s. (Holm)" if h["verdict"] == NO_DIFFERENCE
                                                                     else h["verdict"])
                elif h["verdict"] == TOO_FEW:
                    cell += f" (n = {int(h['n'])}, not tested)"
                else:
                    cell += f" ({h['verdict']})"
            row[f"Δ {METRIC_NAMES[m]} vs {reference} [{level(alpha)} CI]"] = cell
        rows.append(row)
    return pd.DataFrame(rows)


def _minority_first(class_counts: pd.DataFrame) -> list[str]:
    """Classes by their real training images (the most any step holds), fewest first."""
    real = class_counts.groupby("label", sort=False)["real"].max()
    return list(real.sort_values(kind="stable").index)


def table2(class_counts: pd.DataFrame) -> pd.DataFrame:
    """The thesis' Table 2: per arm and step, each class's images by source, mean over the folds
    (classes with the fewest real images first)."""
    sources = [c for c in class_counts.columns if c not in
               ("dataset", "repeat", "fold", "arm", "step", "label", "total", "real_removed")]
    order = _minority_first(class_counts)
    means = class_counts.groupby(["arm", "step", "label"], sort=False)[[*sources, "total", "real_removed"]].mean()
    table = means.unstack("label")
    table = table.reindex(columns=pd.MultiIndex.from_product([[*sources, "total", "real_removed"], order]))
    table = table.swaplevel(axis=1).reindex(columns=order, level=0)
    seen = list(dict.fromkeys(class_counts["step"]))
    middle = [s for s in seen if s not in ("input", "resampled", "final")]  # the resampler's own steps
    steps = [s for s in ("input", *middle, "resampled", "final") if s in seen]
    arms = list(dict.fromkeys(class_counts["arm"]))
    table = table.reindex(pd.MultiIndex.from_tuples(
        [(a, s) for a in arms for s in steps if (a, s) in table.index], names=["arm", "step"]))
    return table.round(1)


def _true(value) -> bool:
    """A boolean cell, whether read as bool or as text."""
    return str(value).strip().lower() == "true"


def table3(js: pd.DataFrame) -> pd.DataFrame:
    """The thesis' Table 3: per GAN arm, fold and checkpoint, each class's JS divergence (PCA)
    with the gate's verdict: ``*`` marks the checkpoint chosen for the class, ``x`` a failed check,
    ``-`` JS not judged (fewer than gate.min_images real images)."""
    keys = ["arm", "repeat", "fold", "checkpoint"]
    classes = list(dict.fromkeys(js["class"]))

    def cell(r) -> str:
        mark = "*" if _true(r["chosen"]) else "" if _true(r["passed"]) else "x"
        judged = _true(r["js_judged"])
        return f"{float(r['js_pca']):.3f}{'' if judged else ' -'} {mark}".rstrip()

    rows = {}
    for _, r in js.iterrows():
        rows.setdefault(tuple(r[k] for k in keys), {})[r["class"]] = cell(r)
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index = pd.MultiIndex.from_tuples(table.index, names=keys)
    baseline = js.groupby("class", sort=False)["js_real_baseline"].apply(
        lambda s: f"{pd.to_numeric(s).min():.3f}-{pd.to_numeric(s).max():.3f}")
    table.loc[tuple(["real-vs-real baseline", *[""] * (len(keys) - 1)]), :] = [baseline.get(c, "") for c in classes]
    return table[classes].fillna("")


STYLE = """body{font-family:system-ui,sans-serif;font-size:14px;margin:1em;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1.5em}th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}
th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}caption{text-align:left;padding:4px 0;color:#444}
p.note{color:#555;max-width:60em}"""


def html_page(title: str, sections: list[tuple[str, pd.DataFrame, str]]) -> str:
    """A standalone HTML page: a title, then per section a heading, a note and a table (escaped)."""
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
             f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>"]
    for heading, table, note in sections:
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        if note:
            parts.append(f"<p class='note'>{html.escape(note)}</p>")
        if table is None or table.empty:
            parts.append("<p class='note'>(nothing to show)</p>")
        else:
            parts.append(table.to_html(escape=True, na_rep="", border=0))
    parts.append("</body></html>")
    return "\n".join(parts)


# ---------------------------------------------------------------------------------- the answer
def _rst_escape(text: str) -> str:
    return "".join("\\" + ch if ch in "\\*`|_[]" else ch for ch in str(text))


def _rst_emphasis(text: str) -> str:
    """Escape ``text`` but keep the ``**bold**`` our own sentences use."""
    pieces = str(text).split("**")
    return "".join(f"**{_rst_escape(p)}**" if i % 2 else _rst_escape(p) for i, p in enumerate(pieces))


def rst_table(table: pd.DataFrame, title: str = "") -> list[str]:
    """A DataFrame as an RST list-table (every cell escaped)."""
    out = [f".. list-table:: {_rst_escape(title)}".rstrip(), "   :header-rows: 1", ""]
    for i, row in enumerate([list(table.columns), *table.astype(str).values.tolist()]):
        for j, value in enumerate(row):
            out.append(f"   {'* -' if j == 0 else '  -'} {_rst_escape(value) or ' '}")
    return out + [""]


def _heading(text: str, char: str) -> list[str]:
    text = _rst_escape(text)
    return [text, char * max(len(text), 3), ""]


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


def _markdown_table(table: pd.DataFrame) -> list[str]:
    def esc(v) -> str:
        return str(v).replace("|", "\\|")

    out = ["| " + " | ".join(map(esc, table.columns)) + " |", "|" + "---|" * len(table.columns)]
    out += ["| " + " | ".join(map(esc, row)) + " |" for row in table.astype(str).values.tolist()]
    return out
