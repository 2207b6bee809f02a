"""The gate figure: per checkpoint and class, the JS divergence against the real-vs-real baseline
and the label agreement against the real recall, with the checkpoint the gate chose."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .style import Drawn, _arm_colours, _boolean, _numeric, _ordered_unique, _part_names, _placeholder, _pyplot, \
    _save, _sort_classes, _table

LEGEND_ORDER = ("passed", "failed", "chosen checkpoint", "real vs real (95th percentile)", "limit: baseline + margin",
                "real recall", "limit: recall - margin")


def most_accepted_part(js: pd.DataFrame | None, parts: list[str]) -> str:
    """The fold whose gate accepted the most classes (summed over the GAN arms; ties: the first of
    ``parts``): what the faces and gate figures show, so that a reader sees GAN images where any
    entered training. ``js``: ``js_divergence.tsv``, or None (no GAN arm: the first part)."""
    if js is None or js.empty or "chosen" not in js.columns:
        return parts[0]
    chosen = js[_boolean(js["chosen"]).fillna(False).astype(bool)]
    counts = chosen.groupby(_part_names(chosen)).size() if len(chosen) else pd.Series(dtype=int)
    return max(parts, key=lambda p: (int(counts.get(p, 0)), -parts.index(p)))


def js_figure(js: pd.DataFrame, out_png, part: str | None = None, js_margin: float | None = None,
              fidelity_margin: float | None = None) -> Drawn:
    """The gate per checkpoint for one fold: JS divergence against the real-vs-real baseline and the
    acceptance limit (top), label agreement against the real recall (bottom), per class; look at
    where each class passes and which checkpoint was chosen (star).

    ``js``: ``js_divergence.tsv`` (dataset, arm, repeat, fold, checkpoint, class, js_pca,
    js_real_baseline, js_judged, label_agreement, real_recall, passed, chosen, ...). ``part``:
    'r{repeat}_f{fold}' (or 'all'), default the one whose gate accepted the most classes
    (:func:`most_accepted_part`); the other folds are drawn faintly.
    ``js_margin`` / ``fidelity_margin``: the gate's margins (config ``gate``); when given, the
    limits baseline + js_margin and recall - fidelity_margin are drawn.
    Returns ``data``: the part's rows drawn (arm, class, checkpoint, js_pca, js_real_baseline,
    label_agreement, real_recall, passed, chosen); ``extra['chosen']``: the starred points (arm,
    class, checkpoint, js_pca).
    """
    js = _table(js)
    if js.empty:
        return _placeholder(out_png, "no GAN arm configured", title="the gate runs for GAN arms only")
    plt = _pyplot()
    table, parts, part = _gate_table(js, part)
    groups = _shared_arms(table)
    table = table[table["arm"].isin(groups)]
    colours = _arm_colours(groups)

    mine = table[table["_part"] == part]
    sizes = mine.groupby("class")["n_real"].max().to_dict() if "n_real" in mine.columns else \
        {c: 0 for c in mine["class"].unique()}
    classes = _sort_classes(sizes)
    n = len(classes)
    fig, axes = plt.subplots(2, n, figsize=(max(3.0 * n, 6.0) + 0.4, 6.2), squeeze=False, sharex=True)
    js_top = max(0.05, np.nanmax(table[["js_pca", "js_real_baseline"]].to_numpy(dtype=float)) *
                 1.1 + (js_margin or 0))
    chosen_marks = []
    for j, c in enumerate(classes):
        ax, bx = axes[0, j], axes[1, j]
        rows_c = mine[mine["class"] == c]
        judged = bool(rows_c["js_judged"].all())
        _faint_folds(ax, bx, table[(table["class"] == c) & (table["_part"] != part)], groups, colours)
        _gate_limits(ax, bx, rows_c, judged, js_margin, fidelity_margin)
        chosen_marks += _arm_lines(ax, bx, rows_c, c, groups, colours)
        _class_panel(ax, bx, rows_c, c, sizes.get(c, 0), judged, js_top)
    axes[0, 0].set_ylabel("JS divergence (PCA histograms)", fontsize=9)
    axes[1, 0].set_ylabel("label agreement of\ngenerated images", fontsize=9)
    names = _gate_legend(fig, axes, groups)
    dataset = str(mine["dataset"].iloc[0]) + " " if "dataset" in mine.columns else ""
    faint = " (faint: the other folds)" if len(parts) > 1 else ""
    fig.suptitle(f"Gate of {dataset}{part}: per checkpoint and class{faint}; filled = passed every deciding check",
                 fontsize=10)
    legend_rows = -(-len(names) // 5)
    fig.tight_layout(rect=(0, 0.045 * legend_rows + 0.01, 1, 1))
    cols = [c for c in ("arm", "class", "checkpoint", "js_pca", "js_real_baseline", "label_agreement",
                        "real_recall", "passed", "chosen") if c in mine.columns]
    data = mine[cols].sort_values(["arm", "class", "checkpoint"]).reset_index(drop=True)
    return Drawn(_save(fig, out_png), data=data,
                 extra={"chosen": pd.DataFrame(chosen_marks, columns=["arm", "class", "checkpoint", "js_pca"]),
                        "part": part})


def _gate_table(js: pd.DataFrame, part: str | None) -> tuple[pd.DataFrame, list, str]:
    """The gate table with numbers and booleans as such, an ``arm`` and a ``_part`` column; its parts
    and the part to draw (default the first)."""
    table = js.copy()
    for c in ("checkpoint", "js_pca", "js_real_baseline", "label_agreement", "real_recall", "n_real"):
        if c in table.columns:
            table[c] = _numeric(table[c])
    for c in ("passed", "chosen", "js_judged"):
        if c in table.columns:
            table[c] = _boolean(table[c])
    if "js_judged" not in table.columns:
        table["js_judged"] = True
    if "arm" not in table.columns:
        table["arm"] = table["base"] if "base" in table.columns else "GAN"
    table["_part"] = _part_names(table) if {"repeat", "fold"} <= set(table.columns) else "all"
    parts = _ordered_unique(table["_part"])
    if part is None:
        part = most_accepted_part(js, parts) if {"repeat", "fold"} <= set(js.columns) else parts[0]
    if part not in parts:
        raise ValueError(f"part {part!r} is not in the gate table (parts: {', '.join(map(str, parts))})")
    return table, parts, part


def _shared_arms(table: pd.DataFrame) -> dict:
    """First arm -> the arms' names joined: arms that share a base share their rows, drawn once, named together."""
    signature = {}
    for arm, rows in table.groupby("arm", sort=False):
        key = tuple(rows.sort_values(["_part", "class", "checkpoint"])[["js_pca", "label_agreement"]]
                    .round(12).itertuples(index=False, name=None))
        signature.setdefault(key, []).append(arm)
    return {arms[0]: " = ".join(arms) for arms in signature.values()}


def _faint_folds(ax, bx, others: pd.DataFrame, groups: dict, colours: dict) -> None:
    """The class's curves of the other folds, faint."""
    for arm in groups:
        for _, o in others[others["arm"] == arm].groupby("_part", sort=False):
            o = o.sort_values("checkpoint")
            ax.plot(o["checkpoint"], o["js_pca"], color=colours[arm], lw=0.7, alpha=0.22)
            bx.plot(o["checkpoint"], o["label_agreement"], color=colours[arm], lw=0.7, alpha=0.22)


def _gate_limits(ax, bx, rows_c: pd.DataFrame, judged: bool, js_margin, fidelity_margin) -> None:
    """The real-vs-real JS baseline (band) and real recall, with the acceptance limits when the margins are given."""
    baselines = _ordered_unique(rows_c["js_real_baseline"].dropna().round(6))
    for b in baselines:
        ax.axhspan(0, b, color="0.5", alpha=0.14 / len(baselines), lw=0,
                   label="real vs real (95th percentile)")
        if js_margin is not None and judged:
            ax.axhline(b + js_margin, color="0.2", ls="--", lw=1.0, label="limit: baseline + margin")
    recalls = _ordered_unique(rows_c["real_recall"].dropna().round(6))
    for rc in recalls:
        bx.axhline(rc, color="0.35", lw=1.2, label="real recall")
        if fidelity_margin is not None:
            bx.axhline(rc - fidelity_margin, color="0.2", ls="--", lw=1.0, label="limit: recall - margin")


def _arm_lines(ax, bx, rows_c: pd.DataFrame, c, groups: dict, colours: dict) -> list[dict]:
    """Each arm's curves of the part, filled points where every deciding check passed, stars at the
    chosen checkpoints (returned, one dict each)."""
    chosen_marks = []
    for arm, name in groups.items():
        r = rows_c[rows_c["arm"] == arm].sort_values("checkpoint")
        if r.empty:
            continue
        col = colours[arm]
        ok = r["passed"].to_numpy()
        for axis, column in ((ax, "js_pca"), (bx, "label_agreement")):
            axis.plot(r["checkpoint"], r[column], color=col, lw=1.6, label=name, zorder=3)
            axis.scatter(r["checkpoint"][ok], r[column][ok], color=col, s=22, zorder=4, label="passed")
            axis.scatter(r["checkpoint"][~ok], r[column][~ok], facecolor="white", edgecolor=col, s=22,
                         zorder=4, label="failed")
        ch = r[r["chosen"]]
        for _, row in ch.iterrows():
            for axis, column in ((ax, "js_pca"), (bx, "label_agreement")):
                axis.scatter([row["checkpoint"]], [row[column]], marker="*", s=170, color=col,
                             edgecolor="black", linewidth=0.7, zorder=5, label="chosen checkpoint")
            chosen_marks.append({"arm": name, "class": c, "checkpoint": int(row["checkpoint"]),
                                 "js_pca": row["js_pca"]})
    return chosen_marks


def _class_panel(ax, bx, rows_c: pd.DataFrame, c, n_real, judged: bool, js_top: float) -> None:
    """A class's titles, notes, limits and axes."""
    accepted = bool(rows_c["chosen"].any())
    ax.set_title(f"{c} (n_real={n_real:.0f})" + ("" if accepted else " - never accepted"), fontsize=10,
                 color="black" if accepted else "#b00000")
    if not judged:
        ax.text(0.5, 0.95, "JS not judged (too few real images)", transform=ax.transAxes, ha="center",
                va="top", fontsize=8, color="0.3", style="italic")
    ax.set_ylim(0, js_top)
    bx.set_ylim(-0.02, 1.05)
    bx.set_xlabel("checkpoint (generator step)", fontsize=9)
    for axis in (ax, bx):
        axis.spines[["top", "right"]].set_visible(False)
        axis.tick_params(labelsize=8)


def _gate_legend(fig, axes, groups: dict) -> list[str]:
    """One legend for the figure, below the panels (nothing covers data); returns its names."""
    handles = {}
    for axis in axes.ravel():
        for h, lab in zip(*axis.get_legend_handles_labels()):
            handles.setdefault(lab, h)
    order = [*groups.values(), *LEGEND_ORDER]
    names = [k for k in order if k in handles]
    fig.legend([handles[k] for k in names], names, loc="lower center", ncol=min(len(names), 5), fontsize=8,
               frameon=False)
    return names
