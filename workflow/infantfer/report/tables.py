"""The method's Tables 2, 3 and 4 of one dataset, and the standalone HTML pages they are shown on."""

from __future__ import annotations

import html
import re

import pandas as pd

from ..metrics import METRICS
from ..statistics import SANITY_CLASSIFIERS, TOO_FEW
from ..statistics.paired import ALPHA
from .text import METRIC_NAMES, TESTED, _ci, _num, level, verdict_class


def table4(metrics: pd.DataFrame, stats: pd.DataFrame, reference: str, alpha: float = ALPHA) -> pd.DataFrame:
    """The thesis' Table 4: per arm and classifier, each metric's mean ± sd over the folds (on its 0-1
    scale), and its difference from ``reference`` in points (100 x) with the corrected-t (1 - alpha)
    CI (unadjusted) and verdict, or why there is none. The chance classifier's rows are a floor:
    a sanity check, with no verdict."""
    rows = []
    for (arm, classifier), mine in metrics.groupby(["arm", "classifier"], sort=False):
        row = {"arm": arm, "classifier": classifier + (" (sanity floor)" if classifier in SANITY_CLASSIFIERS else ""),
               "n": int(mine[METRICS[0]].notna().sum())}
        for m in METRICS:
            row[f"{METRIC_NAMES[m]}, mean ± sd"] = f"{_num(mine[m].mean())} ± {_num(mine[m].std(ddof=1))}"
            hit = stats[(stats["arm"] == arm) & (stats["baseline"] == reference)
                        & (stats["classifier"] == classifier) & (stats["metric"] == m)]
            if arm == reference or hit.empty:
                cell = "reference" if arm == reference else ""
            else:
                h = hit.iloc[0]
                cell = _num(100 * h["mean_diff"], 1, sign=True)
                if h["verdict"] in TESTED:
                    cell += f" {_ci(100 * h['ci_low'], 100 * h['ci_high'], 1)} {h['verdict']}"
                elif h["verdict"] == TOO_FEW:
                    cell += f" (n = {int(h['n'])}, not tested)"
                elif isinstance(h["verdict"], str) and h["verdict"]:
                    cell += f" ({h['verdict']})"
                elif _ci(h["ci_low"], h["ci_high"]):  # a sanity row (chance): the interval, no verdict
                    cell += f" {_ci(100 * h['ci_low'], 100 * h['ci_high'], 1)} (sanity check)"
            row[f"Δ {METRIC_NAMES[m]} vs {reference}, points [{level(alpha)} CI]"] = cell
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
td{white-space:nowrap}p.note{color:#555;max-width:60em}img{max-width:100%;height:auto}
.v-higher{background:#d3efe2;color:#00533c;font-weight:600}.v-lower{background:#fbdccb;color:#8a2c00;font-weight:600}
.v-equivalent{background:#d9e7f5;color:#003f6b}.v-inconclusive{color:#666}.v-rope{background:#eef3f8;color:#333}
.admonition.warning,div.warning{border-left:5px solid #d55e00;background:#fff3e8;padding:0.4em 1em;margin:1em 0}
.admonition-title{font-weight:700;color:#8a2c00}"""


def _highlighted(table_html: str) -> str:
    """Verdict cells of an escaped HTML table in their highlight class (text.verdict_class)."""
    def cell(match: re.Match) -> str:
        css = verdict_class(html.unescape(match.group(1)))
        return f'<td class="{css}">{match.group(1)}</td>' if css else match.group(0)

    return re.sub(r"<td>([^<]*)</td>", cell, table_html)


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
            plain = isinstance(table.index, pd.RangeIndex)  # a row number says nothing: leave it out
            parts.append(_highlighted(table.to_html(escape=True, na_rep="", border=0, index=not plain)))
    parts.append("</body></html>")
    return "\n".join(parts)



def pages(dataset: str, counts: pd.DataFrame, metrics: pd.DataFrame, statistics: pd.DataFrame,
          js: pd.DataFrame | None, reference: str, alpha: float) -> dict[str, str]:
    """Rule tables' pages of one dataset: ``table2``, ``table3`` and ``table4`` -> its HTML. ``js``:
    the gate's tables (None without a GAN arm)."""
    specs = {
        "table2": (f"Table 2, {dataset}: class counts per arm and step", [(
            "Mean over the folds of each class's training images, by source",
            table2(counts),
            "input: the fold's real training images; after_smote / after_enn / resampled: after each step of the "
            "arm's resampler (ENN's cleaning shows as real_removed; a class at 0 after_enn was wiped out by ENN, "
            "and its real images restored); final: what the classifiers train on. "
            "Classes with the fewest real images first.")]),
        "table3": (f"Table 3, {dataset}: the gate's JS divergence per class and test iteration", [(
            "JS divergence (PCA, log base 2) of generated vs real training images per checkpoint",
            None if js is None else table3(js),
            "* the checkpoint chosen for the class (the latest that passes every deciding check); "
            "x failed a deciding check; - JS not judged (fewer real images than gate.min_images). "
            "The last row is the range of the real-vs-real baseline (95th percentile) over folds."
            if js is not None else "No GAN arm is configured for this dataset.")]),
        "table4": (f"Table 4, {dataset}: arms x classifiers x metrics", [(
            f"Mean ± sd over the folds; the difference from the reference arm with its {level(alpha)} CI",
            table4(metrics, statistics, reference, alpha),
            f"Differences are paired over repeat x fold against {reference}; CIs from the Nadeau-Bengio corrected "
            "t-test, unadjusted; higher / lower: Holm-adjusted p < alpha; equivalent: the 1 - 2 alpha CI inside "
            "the rope (statistics.rope); inconclusive: neither. The chance classifier's rows are sanity checks, "
            "with no verdict. statistics.tsv has every comparison.")]),
    }
    return {name: html_page(title, sections) for name, (title, sections) in specs.items()}
