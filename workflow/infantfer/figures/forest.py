"""The forest plot: what the statistics test, drawn. Per metric, each arm's paired difference from
the reference arm (and the method's own pairs), in points, with its 95% CI (thin) and the 90% CI
that the equivalence test uses (thick), the region of practical equivalence shaded and the verdict
as the colour."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..metrics import REGISTRY
from ..statistics import (AT_CHANCE, CONSTANT, EQUIVALENT, HIGHER, HIGHER_IN_ROPE, IDENTICAL, INCONCLUSIVE, LOWER,
                          LOWER_IN_ROPE, SANITY_CLASSIFIERS, TOO_FEW)
from .style import METRIC_NAMES, Drawn, _numeric, _placeholder, _pyplot, _save, _table

# Okabe-Ito: readable with colour-blindness
VERDICT_COLOURS = {HIGHER: "#009e73", LOWER: "#d55e00", HIGHER_IN_ROPE: "#56b4e9", LOWER_IN_ROPE: "#56b4e9",
                   EQUIVALENT: "#0072b2", IDENTICAL: "#0072b2", CONSTANT: "#555555", INCONCLUSIVE: "#555555",
                   AT_CHANCE: "#cc79a7", TOO_FEW: "#999999"}
OTHER_COLOUR = "#999999"


def _classifier(stats: pd.DataFrame, classifier: str | None) -> str:
    present = list(dict.fromkeys(stats["classifier"]))
    if classifier in present:
        return classifier
    from ..method import METHOD_CLASSIFIER

    if METHOD_CLASSIFIER in present:
        return METHOD_CLASSIFIER
    return next((c for c in present if c not in SANITY_CLASSIFIERS), present[0])


def _rows(stats: pd.DataFrame, reference: str) -> list[tuple[str, str]]:
    """The comparisons top to bottom: each arm against the reference, then the method's pairs."""
    pairs = list(dict.fromkeys(zip(stats["arm"], stats["baseline"])))
    return [p for p in pairs if p[1] == reference] + [p for p in pairs if p[1] != reference]


def _panel(ax, mine: pd.DataFrame, pairs: list[tuple[str, str]], rope: float, drawn: list) -> None:
    """One metric: the rope band, 0, and per comparison its point, 95% CI and 90% (TOST) CI."""
    ax.axvspan(-rope, rope, color="#dfe8f2", zorder=0, lw=0)
    ax.axvline(0, color="0.35", lw=0.8, zorder=1)
    for y, (arm, baseline) in enumerate(pairs):
        hit = mine[(mine["arm"] == arm) & (mine["baseline"] == baseline)]
        if hit.empty:
            continue
        r = hit.iloc[0]
        verdict = r["verdict"] if isinstance(r["verdict"], str) else ""
        colour = VERDICT_COLOURS.get(verdict, OTHER_COLOUR)
        mean, low, high = 100 * r["mean_diff"], 100 * r["ci_low"], 100 * r["ci_high"]
        tlow, thigh = 100 * r["tost_ci_low"], 100 * r["tost_ci_high"]
        if np.isfinite(low) and np.isfinite(high):
            ax.plot([low, high], [y, y], color=colour, lw=1.3, zorder=3, solid_capstyle="butt")
        if np.isfinite(tlow) and np.isfinite(thigh):
            ax.plot([tlow, thigh], [y, y], color=colour, lw=4.5, zorder=4, solid_capstyle="butt", alpha=0.85)
        tested = np.isfinite(low)
        ax.scatter([mean], [y], s=36, zorder=5, color=colour if tested else "white", edgecolor=colour, linewidth=1.4)
        drawn.append({"metric": r["metric"], "arm": arm, "baseline": baseline, "y": y, "mean_points": mean,
                      "ci_low_points": low, "ci_high_points": high, "tost_low_points": tlow,
                      "tost_high_points": thigh, "verdict": verdict, "colour": colour, "rope_points": rope})


def _limits(mine: pd.DataFrame, rope: float) -> tuple[float, float]:
    values = 100 * pd.concat([mine["ci_low"], mine["ci_high"], mine["mean_diff"]]).astype(float)
    values = values[np.isfinite(values)]
    reach = max([rope * 1.4, *np.abs(values)]) if len(values) else rope * 1.4
    return -reach * 1.08, reach * 1.08


def _legend(fig, verdicts: list[str]) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [Line2D([], [], color=VERDICT_COLOURS.get(v, OTHER_COLOUR), marker="o", lw=1.3,
                      markerfacecolor="white" if v == TOO_FEW else VERDICT_COLOURS.get(v, OTHER_COLOUR), label=v)
               for v in verdicts]
    handles.append(Patch(color="#dfe8f2", label="rope (practically equivalent)"))
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 4), fontsize=8, frameon=False)


def _class_rows(per_class: pd.DataFrame | None, classifier: str, reference: str, order: list[str]) -> pd.DataFrame:
    """The per-class recall comparisons with the reference, as rows the forest panel draws: their
    ``arm`` is "arm: class", and their rope 0 (exploratory: no equivalence is claimed per class)."""
    if per_class is None or per_class.empty:
        return pd.DataFrame()
    rows = per_class[(per_class["classifier"] == classifier) & (per_class["baseline"] == reference)].copy()
    rows["_order"] = rows["class"].map({c: i for i, c in enumerate(order)}).fillna(len(order))
    rows["_arm"] = rows["arm"].map({a: i for i, a in enumerate(dict.fromkeys(rows["arm"]))})
    rows = rows.sort_values(["_order", "_arm"], kind="stable")  # minority classes first, arms as configured
    rows["arm"] = rows["arm"].astype(str) + ": " + rows["class"].astype(str)
    rows["tost_ci_low"] = rows["tost_ci_high"] = np.nan
    return rows


def forest_figure(statistics, out_png, reference: str, classifier: str | None = None,
                  per_class: pd.DataFrame | None = None, class_order: list[str] | None = None) -> Drawn:
    """The forest plot of one dataset's ``statistics.tsv`` (a table or its path), one panel per
    metric, for ``classifier`` (default the method's, else the first that is not a sanity row);
    with ``per_class`` (``per_class_statistics.tsv``), a last panel of each class's recall against
    the reference (exploratory), classes in ``class_order``.
    Returns ``data``: a row per drawn comparison (points, CIs, verdict, colour)."""
    stats = _table(statistics, numeric=False)
    if stats.empty:
        return _placeholder(out_png, "no comparisons to draw")
    stats = stats.copy()
    for column in ("mean_diff", "ci_low", "ci_high", "tost_ci_low", "tost_ci_high", "rope_points", "n"):
        stats[column] = _numeric(stats[column])
    classifier = _classifier(stats, classifier)
    stats = stats[stats["classifier"] == classifier]
    metrics = [m for m in METRIC_NAMES if m in set(stats["metric"])]
    pairs = _rows(stats, reference)
    classes = _class_rows(per_class, classifier, reference, class_order or [])
    class_pairs = list(dict.fromkeys(zip(classes["arm"], classes["baseline"]))) if len(classes) else []
    plt = _pyplot()
    # one column of panels: readable in the report's narrow first page as in a full-width page
    height = (0.32 * len(pairs) + 0.75) * len(metrics) + 1.0 + ((0.32 * len(class_pairs) + 0.75) if class_pairs else 0)
    ratios = [len(pairs) + 2.3] * len(metrics) + ([len(class_pairs) + 2.3] if class_pairs else [])
    fig, axes = plt.subplots(len(ratios), 1, figsize=(6.6, height), squeeze=False,
                             gridspec_kw={"height_ratios": ratios})
    drawn: list[dict] = []
    split = sum(1 for _, b in pairs if b == reference)
    for ax, metric in zip(axes[:, 0], metrics):
        mine = stats[stats["metric"] == metric]
        rope = float(mine["rope_points"].dropna().iloc[0]) if mine["rope_points"].notna().any() else 0.0
        _panel(ax, mine, pairs, rope, drawn)
        ax.set_xlim(*_limits(mine, rope))
        ax.set_title(f"{REGISTRY[metric].display if metric in REGISTRY else metric} (rope ±{rope:g} points)", fontsize=9, loc="left")
        ax.set_yticks(range(len(pairs)), [f"{a} − {b}" for a, b in pairs], fontsize=8)
        ax.set_ylim(len(pairs) - 0.5, -0.5)
        ax.tick_params(labelsize=8)
        ax.grid(axis="x", color="0.92", lw=0.6)
        ax.spines[["top", "right"]].set_visible(False)
        if 0 < split < len(pairs):
            ax.axhline(split - 0.5, color="0.6", lw=0.6, ls="--")
    if class_pairs:
        ax = axes[len(metrics), 0]
        _panel(ax, classes.assign(metric="recall"), class_pairs, 0.0, drawn)
        ax.set_xlim(*_limits(classes, 3.0))
        ax.set_title(f"recall per class vs {reference} (exploratory)", fontsize=9, loc="left")
        ax.set_yticks(range(len(class_pairs)), [a for a, _ in class_pairs], fontsize=8)
        ax.set_ylim(len(class_pairs) - 0.5, -0.5)
        ax.tick_params(labelsize=8)
        ax.grid(axis="x", color="0.92", lw=0.6)
        ax.spines[["top", "right"]].set_visible(False)
    axes[-1, 0].set_xlabel("difference (arm − baseline), points", fontsize=8)
    n = int(stats["n"].max()) if stats["n"].notna().any() else 0
    what = ("95% CI (thin), the equivalence test's 90% CI (thick)" if n >= 5
            else "means only: too few folds for an interval")
    fig.suptitle(f"Paired differences ({classifier}, n = {n} paired test folds)\n{what}", fontsize=9)
    verdicts = [v for v in VERDICT_COLOURS if v in {d["verdict"] for d in drawn}]
    _legend(fig, verdicts)
    fig.tight_layout(rect=(0, 0.45 / height, 1, 1))  # inches for the legend (tight_layout leaves the title its room)
    return Drawn(_save(fig, out_png), data=pd.DataFrame(drawn))
