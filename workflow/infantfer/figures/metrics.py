"""The figures of the test folds' results: each arm's per-fold paired differences from the reference,
the confusion matrices and the per-class F1."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..method import CHANCE_CLASSIFIER, METHOD_CLASSIFIER

from .style import METRIC_NAMES, Drawn, _arm_colours, _numeric, _ordered_unique, _placeholder, _pyplot, _save, \
    _sort_classes, _table


def metric_folds_figure(metrics: pd.DataFrame, out_png, reference: str | None = None,
                        chance: str = CHANCE_CLASSIFIER) -> Drawn:
    """Per metric and classifier, each arm's paired difference from ``reference`` on every repeat x
    fold (points; one dot per fold) and their mean (black bar): a difference that holds fold by fold
    sits on one side of 0, one that comes from a few folds shows as a spread straddling it.

    ``metrics``: ``metrics.tsv`` (dataset, arm, classifier, repeat, fold, macro_f1, g_mean,
    auc_ovr). ``reference``: default ``original`` when it is an arm, else the first arm; its mean
    ± sd is written in each panel, with the chance classifier's mean (chance gets no panel).
    Returns ``data``: per metric, classifier and arm the metric's mean over folds with a value, ``n``
    (folds with a value), ``n_nan``, and ``mean_diff_points`` over ``n_pairs`` paired folds.
    """
    metrics = _table(metrics, numeric=True)
    present = [m for m in METRIC_NAMES if m in metrics.columns]
    if metrics.empty or not present:
        return _placeholder(out_png, "no metrics")
    table = metrics.copy()
    for m in present:
        table[m] = _numeric(table[m])
    keys = [k for k in ("repeat", "fold") if k in table.columns]
    table["_part"] = table[keys].astype(str).agg("_".join, axis=1) if keys else "0"
    arms = _ordered_unique(table["arm"])
    reference = reference if reference in arms else ("original" if "original" in arms else arms[0])
    others = [a for a in arms if a != reference]
    classifiers = [c for c in _ordered_unique(table["classifier"]) if c != chance] or [chance]
    plt = _pyplot()
    nrows, ncols = len(present), len(classifiers)
    fig, axes = plt.subplots(nrows, ncols, figsize=(max(3.2, 0.8 * max(len(others), 1) + 1.6) * ncols + 0.4,
                                                    2.4 * nrows + 1.0), squeeze=False, sharex=True)
    colours = _arm_colours(arms)
    rows = []
    for i, m in enumerate(present):
        for j, clf in enumerate(classifiers):
            ax = axes[i, j]
            rows += _difference_panel(ax, table[table["classifier"] == clf], m, clf, reference, others, colours)
            level = table.loc[table["classifier"] == chance, m].mean()
            ref = table.loc[(table["classifier"] == clf) & (table["arm"] == reference), m]
            note = f"{reference}: {ref.mean():.2f} ± {ref.std(ddof=1):.2f}" if ref.notna().sum() > 1 else \
                f"{reference}: {ref.mean():.2f}"
            if np.isfinite(level) and clf != chance:
                note += f"; chance {level:.2f}"
            ax.text(0.01, 0.99, note, transform=ax.transAxes, fontsize=7, color="0.35", ha="left", va="top")
            ax.spines[["top", "right"]].set_visible(False)
            ax.tick_params(labelsize=8)
            ax.grid(axis="y", color="0.92", lw=0.6)
            if i == 0:
                ax.set_title(clf, fontsize=10)
            if j == 0:
                ax.set_ylabel(f"Δ {METRIC_NAMES[m]}, points", fontsize=8)
            if i == nrows - 1:
                ax.set_xticks(range(len(others)), others, rotation=30 if len(others) > 3 else 0,
                              ha="right" if len(others) > 3 else "center", fontsize=8)
    n_parts = table["_part"].nunique()
    fig.suptitle(f"Paired differences from {reference} on the real test folds: one dot per repeat x fold "
                 f"({n_parts} fold{'s' if n_parts != 1 else ''}), the mean (black bar)", fontsize=10)
    fig.tight_layout()
    return Drawn(_save(fig, out_png), data=pd.DataFrame(rows))


def _difference_panel(ax, mine: pd.DataFrame, m: str, clf: str, reference: str, others: list,
                      colours: dict) -> list[dict]:
    """One classifier's panel of metric ``m``: per arm the per-fold differences from the reference
    (dots, spread evenly across the arm's slot) and their mean; a row per arm, the reference's first."""
    wide = mine.pivot_table(index="_part", columns="arm", values=m, aggfunc="mean", dropna=False)
    wide = wide.reindex(columns=[reference, *others])
    ax.axhline(0, color="0.3", lw=0.8, zorder=1)
    ref = wide[reference]
    rows = [{"metric": m, "classifier": clf, "arm": reference, "mean": ref.mean(), "n": int(ref.notna().sum()),
             "n_nan": int(ref.isna().sum()), "mean_diff_points": np.nan, "n_pairs": 0}]
    for x, a in enumerate(others):
        diffs = (100 * (wide[a] - ref)).dropna()
        offsets = np.linspace(-0.25, 0.25, len(diffs)) if len(diffs) > 1 else np.zeros(len(diffs))
        ax.scatter(x + offsets, diffs, s=14, color=colours[a], alpha=0.8, edgecolor="white", linewidth=0.3, zorder=3)
        mean = diffs.mean() if len(diffs) else np.nan
        if len(diffs):
            ax.plot([x - 0.32, x + 0.32], [mean] * 2, color="black", lw=2.0, zorder=4)
        n_nan = int(wide[a].isna().sum())
        if n_nan:
            ax.text(x, 0.02, f"{n_nan} fold{'s' if n_nan != 1 else ''} NaN", transform=ax.get_xaxis_transform(),
                    ha="center", va="bottom", fontsize=7, color="#b00000")
        rows.append({"metric": m, "classifier": clf, "arm": a, "mean": wide[a].mean(), "n": int(wide[a].notna().sum()),
                     "n_nan": n_nan, "mean_diff_points": mean, "n_pairs": len(diffs)})
    ax.set_xlim(-0.6, max(len(others), 1) - 0.4)
    ax.margins(y=0.16)  # room for the reference's note above the dots
    return rows


def _classes_by_support(table: pd.DataFrame, label_column: str, weight: str | None) -> list[str]:
    """Classes by their test support (rows of one arm and classifier), fewest first."""
    first = table[(table["arm"] == table["arm"].iloc[0]) & (table["classifier"] == table["classifier"].iloc[0])]
    if weight is None:
        sizes = first.groupby(label_column).size()
    else:
        sizes = _numeric(first[weight]).groupby(first[label_column]).sum()
    return _sort_classes(sizes.to_dict())


def confusion_figure(confusion: pd.DataFrame, out_png, classifier: str = METHOD_CLASSIFIER,
                     class_order: list[str] | None = None) -> Drawn:
    """Confusion matrices of one classifier per arm, summed over the test folds, rows normalised
    (counts in brackets): look at the minority classes' rows (top), where the arms differ most.

    ``confusion``: ``confusion.tsv`` (dataset, repeat, fold, arm, classifier, true, pred, count).
    ``class_order``: default fewest test images first.
    Returns ``data``: per arm, true and predicted class the summed ``count`` and the row ``share``.
    """
    confusion = _table(confusion)
    table = confusion[confusion["classifier"] == classifier].copy() if not confusion.empty else confusion
    if table.empty:
        return _placeholder(out_png, f"no confusion matrices of {classifier}")
    plt = _pyplot()
    table["count"] = _numeric(table["count"]).fillna(0)
    classes = list(class_order) if class_order is not None else _classes_by_support(table, "true", "count")
    classes += [c for c in _ordered_unique([*table["true"], *table["pred"]]) if c not in classes]
    arms = _ordered_unique(table["arm"])
    n_parts = len(table[["repeat", "fold"]].drop_duplicates()) if {"repeat", "fold"} <= set(table.columns) else 1
    ncols = min(len(arms), 4)
    nrows = -(-len(arms) // ncols)
    side = max(2.4, 0.62 * len(classes) + 1.0)
    fig, axes = plt.subplots(nrows, ncols, figsize=(side * ncols + 0.9, side * nrows + 0.7), squeeze=False)
    rows = []
    image = None
    for i, arm in enumerate(arms):
        ax = axes[i // ncols, i % ncols]
        counts = (table[table["arm"] == arm].groupby(["true", "pred"])["count"].sum().unstack("pred")
                  .reindex(index=classes, columns=classes).fillna(0))
        totals = counts.sum(axis=1).to_numpy()
        share = counts.to_numpy() / np.where(totals == 0, np.nan, totals)[:, None]
        image = ax.imshow(np.nan_to_num(share, nan=0.0), cmap="Blues", vmin=0, vmax=1)
        for r, t in enumerate(classes):
            for k, q in enumerate(classes):
                s, cnt = share[r, k], counts.iloc[r, k]
                text = "-" if not np.isfinite(s) else f"{s:.2f}\n({cnt:.0f})"
                ax.text(k, r, text, ha="center", va="center", fontsize=7 if len(classes) > 4 else 8,
                        color="white" if np.isfinite(s) and s > 0.6 else "black")
                rows.append({"arm": arm, "true": t, "pred": q, "count": cnt, "share": s})
        ax.set_xticks(range(len(classes)), classes, fontsize=8, rotation=30 if len(classes) > 4 else 0)
        ax.set_yticks(range(len(classes)), classes, fontsize=8)
        ax.set_title(arm, fontsize=10)
        if i % ncols == 0:
            ax.set_ylabel("true class", fontsize=9)
        if i // ncols == nrows - 1 or i + ncols >= len(arms):
            ax.set_xlabel("predicted class", fontsize=9)
    for j in range(len(arms), nrows * ncols):
        axes[j // ncols, j % ncols].set_visible(False)
    fig.suptitle(f"Confusion matrices of {classifier}, summed over {n_parts} test fold{'s' if n_parts != 1 else ''}; "
                 "row share (count); minority class first", fontsize=10)
    fig.tight_layout(rect=(0, 0, 0.93, 1))
    cax = fig.add_axes([0.945, 0.15, 0.015, 0.7])
    bar = fig.colorbar(image, cax=cax)
    bar.ax.tick_params(labelsize=7)
    bar.set_label("share of the true class's test images", fontsize=8)
    return Drawn(_save(fig, out_png), data=pd.DataFrame(rows))


# -------------------------------------------------------------------------------- per-class F1
def per_class_f1_figure(per_class: pd.DataFrame, out_png, classifier: str = METHOD_CLASSIFIER,
                        class_order: list[str] | None = None) -> Drawn:
    """Mean F1 of each class per arm over the test folds: look at the minority classes (left),
    which the balancing is for, and whether the majority class paid for them.

    ``per_class``: ``per_class_f1.tsv`` (dataset, repeat, fold, arm, classifier, class, precision,
    recall, f1, support). ``class_order``: default fewest test images (support) first.
    Returns ``data``: the arms x classes table of means (index arm, columns classes); ``extra['n']``:
    the folds behind each mean.
    """
    per_class = _table(per_class)
    table = per_class[per_class["classifier"] == classifier].copy() if not per_class.empty else per_class
    if table.empty:
        return _placeholder(out_png, f"no per-class F1 of {classifier}")
    plt = _pyplot()
    table["f1"] = _numeric(table["f1"])
    weight = "support" if "support" in table.columns else None
    classes = list(class_order) if class_order is not None else _classes_by_support(table, "class", weight)
    classes += [c for c in _ordered_unique(table["class"]) if c not in classes]
    arms = _ordered_unique(table["arm"])
    means = table.pivot_table(index="arm", columns="class", values="f1", aggfunc="mean").reindex(index=arms,
                                                                                              columns=classes)
    n = table.pivot_table(index="arm", columns="class", values="f1", aggfunc="count").reindex(
        index=arms, columns=classes).fillna(0).astype(int)
    support = None
    if weight:
        support = _numeric(table[weight]).groupby([table["arm"], table["class"]]).sum().groupby(level="class").max()
    fig, ax = plt.subplots(figsize=(max(3.2, 0.95 * len(classes) + 2.2), max(2.0, 0.45 * len(arms) + 1.3)))
    image = ax.imshow(means.to_numpy(dtype=float), cmap="viridis", vmin=0, vmax=1, aspect="auto")
    folds = sorted(set(n.to_numpy().ravel()) - {0})
    for r in range(len(arms)):
        for k in range(len(classes)):
            v = means.iloc[r, k]
            note = "" if len(folds) <= 1 or n.iloc[r, k] == max(folds) else f"\nn={n.iloc[r, k]}"
            ax.text(k, r, "-" if not np.isfinite(v) else f"{v:.2f}{note}", ha="center", va="center", fontsize=8,
                    color="black" if np.isfinite(v) and v > 0.6 else "white")
    ticks = [f"{c}\n({support[c]:.0f} test images)" if support is not None and c in support.index else str(c)
             for c in classes]
    ax.set_xticks(range(len(classes)), ticks, fontsize=8)
    ax.set_yticks(range(len(arms)), arms, fontsize=8)
    fold_text = f"{folds[0]} fold{'s' if folds[0] != 1 else ''}" if len(folds) == 1 else "folds"
    ax.set_title(f"Per-class F1 of {classifier}, mean over {fold_text}\n(minority class first; test images: "
                 "all folds)", fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.05, pad=0.03).ax.tick_params(labelsize=7)
    fig.tight_layout()
    return Drawn(_save(fig, out_png), data=means, extra={"n": n})
