"""The class-count figure: what each arm's classifiers train on, by source, beside the real images
it started from; and the classes' order every per-dataset figure uses (minority first)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .style import (_COUNT_META, GAN_SOURCE, REAL_SOURCE, Drawn, _numeric, _ordered_unique, _placeholder, _pyplot,
                    _save, _sort_classes, _source_colour, _table)


def _count_sources(class_counts: pd.DataFrame) -> list[str]:
    """The source columns of a class_counts table in their order: real first, cgan last."""
    sources = [c for c in class_counts.columns if c not in _COUNT_META and c != REAL_SOURCE]
    sources.sort(key=lambda s: s == GAN_SOURCE)  # stable: the table's order, the GAN last
    return [REAL_SOURCE, *sources]


def class_order_of_folds(folds: pd.DataFrame) -> list[str]:
    """:func:`class_order` from the folds tables (``folds.tsv``: one row per image, repeat and fold,
    ``role`` train or test) rather than the arms' class counts: the same mean number of real
    training images per fold, read where the folds are made, so that a figure needing only the
    order waits for no classifier."""
    folds = _table(folds)
    train = folds[folds["role"] == "train"]
    n_parts = len(folds[["repeat", "fold"]].drop_duplicates())
    return _sort_classes((train.groupby("label").size() / n_parts).to_dict())


def class_order(class_counts: pd.DataFrame) -> list[str]:
    """Classes minority first: by the mean number of real training images per fold (the input
    before any step: ``real + real_removed``, else the largest ``real`` of any step), ties by name.
    ``class_counts``: ``class_counts.tsv`` or its path."""
    table = _table(class_counts).copy()
    if "real_removed" in table.columns:
        table["_n"] = _numeric(table["real"]) + _numeric(table["real_removed"]).fillna(0)
    else:
        table["_n"] = _numeric(table["real"])
    keys = [k for k in ("repeat", "fold") if k in table.columns]
    if not keys:
        return _sort_classes(table.groupby("label")["_n"].max().to_dict())
    per_fold = table.groupby([*keys, "label"])["_n"].max()
    n_parts = len(table[keys].drop_duplicates())
    # a class without rows in a fold had no images there: sum over folds / number of folds
    return _sort_classes((per_fold.groupby(level="label").sum() / n_parts).to_dict())


def class_counts_figure(class_counts: pd.DataFrame, out_png) -> Drawn:
    """Per arm, what its classifiers train on (stacked by source) beside the real training images it
    started from: look at how far each minority class is topped up, and how much real data ENN removed.

    ``class_counts``: ``class_counts.tsv`` (dataset, repeat, fold, arm, step, label, real, one column
    per other source, total, real_removed). Counts are means over the folds (repeat x fold).
    Returns ``data``: one row per arm and class with ``input`` (real training images before any
    step), the mean ``final`` count of each source, ``total`` (the stacked bar's height) and
    ``n_folds``.
    """
    class_counts = _table(class_counts)
    if class_counts.empty:
        return _placeholder(out_png, "no class counts")
    plt = _pyplot()
    data, labels, arms, sources = _final_counts(class_counts)
    shown = [s for s in sources if s == REAL_SOURCE or data[s].sum() > 0]
    folds = sorted(data["n_folds"].unique())
    fold_text = f"{folds[0]} fold{'s' if folds[0] != 1 else ''}" if len(folds) == 1 else "folds (see panels)"

    ncols = min(len(arms), 4)
    nrows = -(-len(arms) // ncols)
    width = max(2.6, 0.75 * len(labels) + 0.9)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols + 0.6, 2.9 * nrows + 1.0), sharey=True,
                             squeeze=False)
    top = max(data["total"].max(), data["input"].max(), 1)
    for i, arm in enumerate(arms):
        _arm_panel(axes[i // ncols, i % ncols], data[data["arm"] == arm].set_index("label").loc[labels], arm,
                   labels, shown, top, folds)
        if i % ncols == 0:
            axes[i // ncols, i % ncols].set_ylabel(f"images per class\n(mean over {fold_text})", fontsize=9)
    for j in range(len(arms), nrows * ncols):
        axes[j // ncols, j % ncols].set_visible(False)
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=min(len(names), 4), fontsize=8, frameon=False)
    fig.suptitle(f"Training set of each arm: class counts by source (mean over {fold_text}); minority class first",
                 fontsize=10)
    legend_rows = -(-len(names) // 4)
    fig.tight_layout(rect=(0, 0.05 + 0.035 * legend_rows / nrows, 1, 1))
    return Drawn(_save(fig, out_png), data=data)


def _final_counts(class_counts: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list, list[str]]:
    """Per arm and class the mean ``final`` count of each source over the folds, the input it
    started from and the folds behind it; with the classes (minority first), arms and sources."""
    table = class_counts.copy()
    sources = _count_sources(table)
    for c in [*sources, "real_removed"]:
        if c in table.columns:
            table[c] = _numeric(table[c]).fillna(0)
    if "real_removed" not in table.columns:
        table["real_removed"] = 0
    keys = [k for k in ("repeat", "fold") if k in table.columns]
    if not keys:
        table["fold"] = 0
        keys = ["fold"]
    table["_part"] = table[keys].astype(str).agg("_".join, axis=1)
    final = table[table["step"] == "final"] if "step" in table.columns else table
    labels = class_order(class_counts)
    arms = _ordered_unique(final["arm"])
    rows = []
    for arm in arms:
        mine = final[final["arm"] == arm]
        parts = mine["_part"].unique()
        # a class missing from a fold's rows counts 0 there: sum over folds / number of folds
        sums = mine.groupby("label")[sources].sum().reindex(labels).fillna(0)
        inputs = (mine["real"] + mine["real_removed"]).groupby(mine["label"]).sum().reindex(labels).fillna(0)
        for label in labels:
            row = {"arm": arm, "label": label, "input": inputs[label] / len(parts)}
            row.update({s: sums.loc[label, s] / len(parts) for s in sources})
            row["total"] = sum(row[s] for s in sources)
            row["n_folds"] = len(parts)
            rows.append(row)
    return pd.DataFrame(rows), labels, arms, sources


def _arm_panel(ax, mine: pd.DataFrame, arm, labels: list[str], shown: list[str], top: float, folds: list) -> None:
    """One arm's bars: the input (hatched) beside the final set stacked by source, each with its count."""
    x = np.arange(len(labels))
    ax.bar(x - 0.22, mine["input"], width=0.3, color="white", edgecolor="0.25", hatch="////", linewidth=0.8,
           label="input: real training images (before)")
    bottom = np.zeros(len(labels))
    for j, s in enumerate(shown):
        ax.bar(x + 0.17, mine[s], width=0.44, bottom=bottom, color=_source_colour(s, j), label=f"final: {s}")
        bottom += mine[s].to_numpy()
    for xi, (n_in, n_out) in enumerate(zip(mine["input"], mine["total"])):
        ax.text(xi - 0.22, n_in + top * 0.015, f"{n_in:.0f}", ha="center", va="bottom", fontsize=7, color="0.3")
        ax.text(xi + 0.17, n_out + top * 0.015, f"{n_out:.0f}", ha="center", va="bottom", fontsize=8,
                fontweight="bold")
    title = arm if len(folds) == 1 else f"{arm} ({int(mine['n_folds'].iloc[0])} folds)"
    ax.set_title(title, fontsize=10)
    ax.set_xticks(x, labels, fontsize=9, rotation=30 if max(len(str(c)) for c in labels) > 8 else 0)
    ax.set_ylim(0, top * 1.12)
    ax.spines[["top", "right"]].set_visible(False)
