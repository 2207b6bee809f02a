"""Figures: pictures of what the workflow made, for the README and the report.

matplotlib with the Agg backend (no display needed); every function writes one PNG. The report's
figures (:func:`class_counts_figure` to :func:`cd_diagram`) take plain tables and arrays, or the
paths of the workflow's files, and return a :class:`Drawn`: the PNG's path and the numbers drawn.
No torch, no OpenCV, no scikit-learn: a figure job starts in about a second.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd


def balanced_grid(balanced_dir: str | Path, out_png: str | Path, per_row: int = 10, show_real: bool = True,
                  seed: int = 0) -> Path:
    """One row per class and source of a balanced set (``balanced/manifest.tsv`` and its PNGs):
    up to ``per_row`` images drawn at random (seeded), labelled with the class, the source and
    how many images of that kind the set holds. ``show_real=False`` leaves out real images and
    SMOTE-like mixes of them (photos of minors: see the README)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    root = Path(balanced_dir)
    manifest = pd.read_csv(root / "manifest.tsv", sep="\t", dtype={"label": str, "source": str})
    if not show_real:
        manifest = manifest[manifest["source"] == "cgan"]
    groups = list(manifest.groupby(["label", "source"], sort=True))
    rng = np.random.default_rng(seed)
    fig, axes = plt.subplots(len(groups), per_row, figsize=(per_row * 0.8, len(groups) * 0.95), squeeze=False)
    for row, ((label, source), table) in enumerate(groups):
        picks = table.iloc[np.sort(rng.choice(len(table), size=min(per_row, len(table)), replace=False))]
        for col in range(per_row):
            ax = axes[row, col]
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if col < len(picks):
                ax.imshow(np.asarray(Image.open(root / picks["file"].iloc[col])), cmap="gray", vmin=0, vmax=255,
                          interpolation="nearest")
        axes[row, 0].set_ylabel(f"{label}\n{source} ({len(table)})", rotation=0, ha="right", va="center", fontsize=8)
    fig.tight_layout(pad=0.3)
    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_png, dpi=100)
    plt.close(fig)
    return out_png


# ================================================================================ report figures
# Each function below writes one PNG from plain tables or arrays and returns a :class:`Drawn`: the
# PNG's path and the numbers it drew, so that tests (and captions) can check what the picture says.
# A Drawn is os.PathLike: ``Path(drawn)`` and ``open(drawn)`` work where a path is expected.

DPI = 110
GAN_SOURCE = "cgan"
REAL_SOURCE = "real"
METRIC_NAMES = {"macro_f1": "macro F1", "g_mean": "G-mean", "auc_ovr": "AUC (one-vs-rest)"}
# Okabe-Ito colours (readable with colour-blindness): sources of images ...
SOURCE_COLOURS = {"real": "#8c9aab", "smote": "#e69f00", "adasyn": "#cc79a7", "random_over": "#56b4e9",
                  "borderline_smote": "#d55e00", "cgan": "#009e73"}
_EXTRA_COLOURS = ["#0072b2", "#f0e442", "#999999", "#882255", "#44aa99"]
# ... and arms, in the order they come (config order)
_ARM_COLOURS = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00", "#56b4e9", "#999933", "#882255",
                "#44aa99", "#332288"]
_COUNT_META = {"dataset", "repeat", "fold", "arm", "step", "label", "total", "real_removed"}


@dataclass(frozen=True)
class Drawn:
    """What a figure function wrote: the PNG (``path``), the numbers it plotted (``data``, one row
    per plotted thing; what the rows are is said by each function), and further tables or
    notes (``extra``), e.g. the checkpoints a gate figure marked as chosen. A placeholder PNG
    (nothing to draw) has ``placeholder`` set to its message."""

    path: Path
    data: pd.DataFrame = field(default_factory=pd.DataFrame)
    extra: dict = field(default_factory=dict)
    placeholder: str | None = None

    def __fspath__(self) -> str:
        return str(self.path)

    def __str__(self) -> str:
        return str(self.path)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, out_png, dpi: int = DPI) -> Path:
    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    # fixed metadata: the same inputs give the same bytes
    fig.savefig(out_png, dpi=dpi, metadata={"Software": None})
    _pyplot().close(fig)
    return out_png


def _placeholder(out_png, message: str, title: str = "") -> Drawn:
    """A small PNG that says why there is nothing to draw."""
    plt = _pyplot()
    fig = plt.figure(figsize=(5.0, 1.6))
    fig.text(0.5, 0.62 if title else 0.5, message, ha="center", va="center", fontsize=12)
    if title:
        fig.text(0.5, 0.28, title, ha="center", va="center", fontsize=9, color="0.4")
    return Drawn(_save(fig, out_png), placeholder=message)


def _table(table, numeric: bool = False) -> pd.DataFrame:
    """A DataFrame as given, or read from a TSV path (``infantfer.io``: names stay text)."""
    if isinstance(table, (str, os.PathLike)):
        from .io import read_metrics, read_tsv

        return read_metrics(table) if numeric else read_tsv(table)
    return table if table is not None else pd.DataFrame()


def _arrays(value) -> tuple:
    """(x, y, source) of a training set, given as a tuple or as the path of its npz file."""
    if isinstance(value, (str, os.PathLike)):
        from .io import read_npz

        a = read_npz(value)
        return (a["x"], a["y"], a["source"]) if "source" in a else (a["x"], a["y"])
    return tuple(value)


def _numeric(series: pd.Series) -> pd.Series:
    """Numbers from a column read as text or numbers; empty cells and text become NaN."""
    return pd.to_numeric(series.replace("", np.nan) if series.dtype == object else series, errors="coerce")


def _boolean(series: pd.Series) -> pd.Series:
    """True/False from a column of bools or of their text ('True', 'false', '1')."""
    if series.dtype == bool:
        return series
    return series.astype(str).str.strip().str.lower().isin({"true", "1", "yes"})


def _part_names(table: pd.DataFrame) -> pd.Series:
    """'r{repeat}_f{fold}' per row (the workflow's part names); 'all' for the whole-dataset rows."""
    def name(r, f):
        return "all" if str(r) == "all" else f"r{r}_f{f}"

    return pd.Series([name(r, f) for r, f in zip(table["repeat"], table["fold"])], index=table.index)


def _ordered_unique(values) -> list:
    return list(dict.fromkeys(values))


def _arm_colours(arms) -> dict:
    return {a: _ARM_COLOURS[i % len(_ARM_COLOURS)] for i, a in enumerate(_ordered_unique(arms))}


def _source_colour(source: str, i: int) -> str:
    return SOURCE_COLOURS.get(source, _EXTRA_COLOURS[i % len(_EXTRA_COLOURS)])


def _sort_classes(sizes: dict) -> list[str]:
    """Classes smallest first (ties by name): minority classes lead every figure."""
    return [c for c, _ in sorted(sizes.items(), key=lambda kv: (kv[1], str(kv[0])))]


def _count_sources(class_counts: pd.DataFrame) -> list[str]:
    """The source columns of a class_counts table in their order: real first, cgan last."""
    sources = [c for c in class_counts.columns if c not in _COUNT_META and c != REAL_SOURCE]
    sources.sort(key=lambda s: s == GAN_SOURCE)  # stable: the table's order, the GAN last
    return [REAL_SOURCE, *sources]


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


# ---------------------------------------------------------------------------------- class counts
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
    data = pd.DataFrame(rows)
    shown = [s for s in sources if s == REAL_SOURCE or data[s].sum() > 0]
    folds = sorted(data["n_folds"].unique())
    fold_text = f"{folds[0]} fold{'s' if folds[0] != 1 else ''}" if len(folds) == 1 else "folds (see panels)"

    ncols = min(len(arms), 4)
    nrows = -(-len(arms) // ncols)
    width = max(2.6, 0.75 * len(labels) + 0.9)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols + 0.6, 2.9 * nrows + 1.0), sharey=True,
                             squeeze=False)
    top = max(data["total"].max(), data["input"].max(), 1)
    x = np.arange(len(labels))
    for i, arm in enumerate(arms):
        ax = axes[i // ncols, i % ncols]
        mine = data[data["arm"] == arm].set_index("label").loc[labels]
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
        if i % ncols == 0:
            ax.set_ylabel(f"images per class\n(mean over {fold_text})", fontsize=9)
    for j in range(len(arms), nrows * ncols):
        axes[j // ncols, j % ncols].set_visible(False)
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=min(len(names), 4), fontsize=8, frameon=False)
    fig.suptitle(f"Training set of each arm: class counts by source (mean over {fold_text}); minority class first",
                 fontsize=10)
    legend_rows = -(-len(names) // 4)
    fig.tight_layout(rect=(0, 0.05 + 0.035 * legend_rows / nrows, 1, 1))
    return Drawn(_save(fig, out_png), data=data)


# ---------------------------------------------------------------------------------- sample faces
def _row_pick(n: int, k: int, seed: int, key: str) -> np.ndarray:
    """k of n indices, seeded by the seed and the row's name: one row never shifts another's picks."""
    rng = np.random.default_rng([seed, zlib.crc32(key.encode())])
    return np.sort(rng.choice(n, size=min(k, n), replace=False))


def sample_faces_figure(sets: dict, out_png, show_real: bool = False, per_row: int = 8, seed: int = 0,
                        real: tuple | None = None, class_order: list[str] | None = None,
                        gan_sets: list[str] | None = None, accepted: dict | None = None) -> Drawn:
    """Per class, a row of generated faces of each GAN set (and, with ``show_real``, rows of real
    faces and of SMOTE images): look at whether each class's faces look like that class, vary, and
    are sharp; a class without generated images says why.

    ``sets``: row-group name -> (x uint8 (N, S, S), y labels, source per row), e.g. a GAN arm's
    ``train.npz``. From each set, rows of its generated images (source ``cgan``) are always drawn;
    rows of its other non-real sources (``smote``, ...: blends of real faces) only when
    ``show_real``. ``real``: (x, y) or (x, y, source) of real faces, drawn first per class, only
    when ``show_real``; real rows of ``sets`` are never drawn. ``gan_sets``: the sets that are GAN
    outputs, which get a row for a class without generated images (default: the sets holding any
    generated image or whose name mentions cgan). ``accepted``: set name -> the classes its gate
    accepted; without it a class without generated images whose set already holds as many images
    as the topped-up classes counts as "none needed", any other as "no accepted images".
    ``class_order``: default fewest real images first.
    Returns ``data``: one row per drawn row (class, set, source, available, drawn, note; note is
    "no accepted images" or "none needed" on a row without images).
    """
    plt = _pyplot()
    norm = {}
    for name, value in (sets or {}).items():
        x, y, source = (np.asarray(v) for v in _arrays(value)[:3])
        norm[str(name)] = (x, y.astype(str), source.astype(str))
    real_x = real_y = None
    if real is not None:
        real = _arrays(real)
        real_x, real_y = np.asarray(real[0]), np.asarray(real[1]).astype(str)
        if len(real) > 2:
            keep = np.asarray(real[2]).astype(str) == REAL_SOURCE
            real_x, real_y = real_x[keep], real_y[keep]
    if gan_sets is None:
        gan_sets = [n for n, (_, _, s) in norm.items() if (s == GAN_SOURCE).any() or GAN_SOURCE in n.lower()]
    gan_sets = [str(n) for n in gan_sets if str(n) in norm]

    sizes: dict[str, int] = {}  # classes: every label anywhere; sizes from the real images seen
    for _, y, s in norm.values():
        for c in np.unique(y):
            sizes[c] = max(sizes.get(c, 0), int(((y == c) & (s == REAL_SOURCE)).sum()))
    if real_y is not None:
        for c in np.unique(real_y):
            sizes[c] = max(sizes.get(c, 0), int((real_y == c).sum()))
    classes = list(class_order) if class_order is not None else _sort_classes(sizes)
    classes += [c for c in _sort_classes(sizes) if c not in classes]

    hidden = "real faces and SMOTE images (blends of two real faces) are not shown: show_real is off (photos of minors)"
    has_mixes = any(((s != REAL_SOURCE) & (s != GAN_SOURCE)).any() for _, _, s in norm.values())
    if not gan_sets and not (show_real and (real_y is not None or has_mixes)):
        return _placeholder(out_png, "no GAN arm configured" if not sets else "no generated images to show",
                            title="" if show_real else "real and SMOTE faces are not shown (show_real is off)")

    def why_none(name: str, c: str) -> str:
        if accepted is not None and name in accepted:
            return "none needed" if c in set(map(str, accepted[name])) else "no accepted images"
        _, y, s = norm[name]
        totals = {k: int((y == k).sum()) for k in np.unique(y)}
        topped = [totals[k] for k in np.unique(y[s == GAN_SOURCE])]
        target = max(topped) if topped else max(totals.values(), default=0)
        return "none needed" if totals.get(c, 0) >= target > 0 else "no accepted images"

    rows = []  # (class, set, source, images or None, available, note)
    for c in classes:
        if show_real and real_y is not None:
            idx = np.flatnonzero(real_y == c)
            pick = _row_pick(len(idx), per_row, seed, f"{c}|real")
            rows.append((c, "real", REAL_SOURCE, real_x[idx[pick]], len(idx), ""))
        for name, (x, y, s) in norm.items():
            if name in gan_sets:
                idx = np.flatnonzero((y == c) & (s == GAN_SOURCE))
                if len(idx):
                    pick = _row_pick(len(idx), per_row, seed, f"{c}|{name}|{GAN_SOURCE}")
                    rows.append((c, name, GAN_SOURCE, x[idx[pick]], len(idx), ""))
                else:
                    rows.append((c, name, GAN_SOURCE, None, 0, why_none(name, c)))
            if show_real:
                for src in _ordered_unique(s[(y == c) & (s != REAL_SOURCE) & (s != GAN_SOURCE)]):
                    idx = np.flatnonzero((y == c) & (s == src))
                    pick = _row_pick(len(idx), per_row, seed, f"{c}|{name}|{src}")
                    rows.append((c, name, src, x[idx[pick]], len(idx), ""))
    data = pd.DataFrame([{"class": c, "set": n, "source": s, "available": k,
                          "drawn": 0 if im is None else len(im), "note": note} for c, n, s, im, k, note in rows])

    # geometry in inches: class names | row labels | faces (16 px faces at ~4x, nearest-neighbour)
    cell = 0.62
    row_h = cell
    class_w = max(0.9, 0.09 * max(len(str(c)) for c in classes) + 0.2)
    label_w = max(1.6, 0.068 * max(len(n) for _, n, *_ in rows) + 0.25)
    fig_w = class_w + label_w + per_row * cell + 0.1
    top, bottom = (0.62 if not show_real else 0.45), 0.32
    fig_h = top + bottom + len(rows) * row_h
    fig = plt.figure(figsize=(fig_w, fig_h))
    texts = {"no accepted images": "no accepted images: the gate passed no checkpoint for this class",
             "none needed": "none needed: the class was already at its target size"}
    grey = plt.get_cmap("gray").with_extremes(bad="white")
    group_start = 0
    for r, (c, name, src, images, available, note) in enumerate(rows):
        y_top = fig_h - top - r * row_h  # inches from the bottom
        mid = (y_top - row_h / 2) / fig_h
        last_of_class = r + 1 == len(rows) or rows[r + 1][0] != c
        if last_of_class:  # the class's name beside its rows, a rule under them
            centre = (fig_h - top - (group_start + r + 1) / 2 * row_h) / fig_h
            fig.text(0.08 / fig_w, centre, str(c), ha="left", va="center", fontsize=10, fontweight="bold")
            if r + 1 < len(rows):
                y_line = (y_top - row_h) / fig_h
                fig.add_artist(plt.Line2D([0.05 / fig_w, 1 - 0.05 / fig_w], [y_line] * 2, color="0.6", lw=0.8))
            group_start = r + 1
        what = "generated" if src == GAN_SOURCE else src
        label = f"real faces\nn={available}" if name == "real" and src == REAL_SOURCE else \
            f"{name}\n{what}, n={available}"
        fig.text(class_w / fig_w, mid, label, ha="left", va="center", fontsize=8,
                 color="black" if src == GAN_SOURCE else "0.3")
        if images is None:
            fig.text((class_w + label_w + per_row * cell / 2) / fig_w, mid, texts[note], ha="center",
                     va="center", fontsize=8, color="#b00000" if note == "no accepted images" else "0.35",
                     style="italic")
            continue
        # one strip a row (one axes, not one per face: many axes make a slow figure), white gaps
        side_h, side_w = images.shape[1:3]
        gap = max(1, round(side_w / 10))
        strip = np.full((side_h, per_row * (side_w + gap) - gap), np.nan)
        for k, im in enumerate(images):
            strip[:, k * (side_w + gap):k * (side_w + gap) + side_w] = im
        ax = fig.add_axes([(class_w + label_w) / fig_w, (y_top - row_h + 0.03) / fig_h,
                           per_row * cell / fig_w, (row_h - 0.06) / fig_h])
        ax.imshow(strip, cmap=grey, vmin=0, vmax=255, interpolation="nearest", aspect="equal")
        ax.set_anchor("W")
        ax.set_axis_off()
    heading = ("Sample faces per class: generated images from the gate's chosen checkpoint"
               + (", real faces and SMOTE images" if show_real else "\n" + hidden))
    fig.text(0.5, 1 - 0.08 / fig_h, heading, ha="center", va="top", fontsize=9)
    fig.text(0.5, 0.1 / fig_h, f"up to {per_row} images a row, drawn at random (seed {seed}); classes with "
             "fewest real images first", ha="center", va="bottom", fontsize=7, color="0.35")
    return Drawn(_save(fig, out_png), data=data, extra={"show_real": show_real})


# ------------------------------------------------------------------------------------------ gate
def js_figure(js: pd.DataFrame, out_png, part: str | None = None, js_margin: float | None = None,
              fidelity_margin: float | None = None) -> Drawn:
    """The gate per checkpoint for one fold: JS divergence against the real-vs-real baseline and the
    acceptance limit (top), label agreement against the real recall (bottom), per class; look at
    where each class passes and which checkpoint was chosen (star).

    ``js``: ``js_divergence.tsv`` (dataset, arm, repeat, fold, checkpoint, class, js_pca,
    js_real_baseline, js_judged, label_agreement, real_recall, passed, chosen, ...). ``part``:
    'r{repeat}_f{fold}' (or 'all'), default the table's first; the other folds are drawn faintly.
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
        part = parts[0]
    if part not in parts:
        raise ValueError(f"part {part!r} is not in the gate table (parts: {', '.join(map(str, parts))})")

    # arms that share a base share their rows: draw them once, named together
    signature = {}
    for arm, rows in table.groupby("arm", sort=False):
        key = tuple(rows.sort_values(["_part", "class", "checkpoint"])[["js_pca", "label_agreement"]]
                    .round(12).itertuples(index=False, name=None))
        signature.setdefault(key, []).append(arm)
    groups = {arms[0]: " = ".join(arms) for arms in signature.values()}
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
        # other folds, faint
        for arm in groups:
            others = table[(table["arm"] == arm) & (table["class"] == c) & (table["_part"] != part)]
            for _, o in others.groupby("_part", sort=False):
                o = o.sort_values("checkpoint")
                ax.plot(o["checkpoint"], o["js_pca"], color=colours[arm], lw=0.7, alpha=0.22)
                bx.plot(o["checkpoint"], o["label_agreement"], color=colours[arm], lw=0.7, alpha=0.22)
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
        accepted = bool(rows_c["chosen"].any())
        n_real = sizes.get(c, 0)
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
    axes[0, 0].set_ylabel("JS divergence (PCA histograms)", fontsize=9)
    axes[1, 0].set_ylabel("label agreement of\ngenerated images", fontsize=9)
    # one legend for the figure, below the panels: nothing covers data
    handles = {}
    for axis in axes.ravel():
        for h, lab in zip(*axis.get_legend_handles_labels()):
            handles.setdefault(lab, h)
    order = [*groups.values(), "passed", "failed", "chosen checkpoint", "real vs real (95th percentile)",
             "limit: baseline + margin", "real recall", "limit: recall - margin"]
    names = [k for k in order if k in handles]
    fig.legend([handles[k] for k in names], names, loc="lower center", ncol=min(len(names), 5), fontsize=8,
               frameon=False)
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


# --------------------------------------------------------------------------------------- metrics
def metric_folds_figure(metrics: pd.DataFrame, out_png, chance: str = "chance") -> Drawn:
    """Each metric per arm and classifier, one point per fold, a fold's points joined across arms:
    look at whether lines rise or fall from arm to arm (paired), not only at the means (black bars).

    ``metrics``: ``metrics.tsv`` (dataset, arm, classifier, repeat, fold, macro_f1, g_mean,
    auc_ovr). The classifier ``chance`` gets no panel: its mean is the dotted line in the panels.
    Returns ``data``: per metric, classifier and arm the mean over folds with a value, ``n`` (folds
    with a value) and ``n_nan``.
    """
    metrics = _table(metrics, numeric=True)
    present = [m for m in METRIC_NAMES if m in metrics.columns]
    if metrics.empty or not present:
        return _placeholder(out_png, "no metrics")
    plt = _pyplot()
    table = metrics.copy()
    for m in present:
        table[m] = _numeric(table[m])
    keys = [k for k in ("repeat", "fold") if k in table.columns]
    table["_part"] = table[keys].astype(str).agg("_".join, axis=1) if keys else "0"
    arms = _ordered_unique(table["arm"])
    classifiers = [c for c in _ordered_unique(table["classifier"]) if c != chance] or [chance]
    colours = _arm_colours(arms)
    nrows, ncols = len(present), len(classifiers)
    fig, axes = plt.subplots(nrows, ncols, figsize=(max(3.2, 0.85 * len(arms) + 1.2) * ncols + 0.4,
                                                    2.5 * nrows + 0.9), squeeze=False, sharex=True)
    xs = {a: i for i, a in enumerate(arms)}
    parts = _ordered_unique(table["_part"])
    jitter = {p: (k - (len(parts) - 1) / 2) * min(0.05, 0.3 / max(len(parts), 1)) for k, p in enumerate(parts)}
    rows = []
    for i, m in enumerate(present):
        drawn_values = table.loc[table["classifier"].isin(classifiers), m].dropna()
        lo, hi = (drawn_values.min(), drawn_values.max()) if len(drawn_values) else (0.0, 1.0)
        for j, clf in enumerate(classifiers):
            ax = axes[i, j]
            mine = table[table["classifier"] == clf]
            wide = mine.pivot_table(index="_part", columns="arm", values=m, aggfunc="mean", dropna=False)
            wide = wide.reindex(index=[p for p in parts if p in wide.index], columns=arms)
            for p, r in wide.iterrows():
                ax.plot([xs[a] + jitter[p] for a in arms], r.to_numpy(dtype=float), color="0.55", lw=0.6,
                        alpha=0.7, zorder=1)
            for a in arms:
                vals = wide[a].dropna()
                ax.scatter([xs[a] + jitter[p] for p in vals.index], vals, color=colours[a], s=16, zorder=4,
                           edgecolor="white", linewidth=0.4)
                mean = vals.mean() if len(vals) else np.nan
                if len(vals):
                    ax.plot([xs[a] - 0.28, xs[a] + 0.28], [mean] * 2, color="black", lw=2.0, zorder=3)
                n_nan = int(wide[a].isna().sum())
                if n_nan:
                    ax.text(xs[a], 0.98, f"{n_nan} fold{'s' if n_nan != 1 else ''} NaN",
                            transform=ax.get_xaxis_transform(), ha="center", va="top", fontsize=7, color="#b00000")
                rows.append({"metric": m, "classifier": clf, "arm": a, "mean": mean, "n": len(vals),
                             "n_nan": n_nan})
            pad = max((hi - lo) * 0.12, 0.02)
            bottom, top = max(lo - pad, -0.02), min(hi + pad, 1.02)
            if clf != chance and chance in set(table["classifier"]):
                # the chance classifier's mean: a line when it is near the data, else a note (a line
                # far below would squeeze the differences between arms into a sliver)
                level = table.loc[table["classifier"] == chance, m].mean()
                if np.isfinite(level) and level >= lo - 3 * pad:
                    bottom = min(bottom, level - pad / 2)
                    ax.axhline(level, color="0.4", ls=":", lw=1.0, zorder=0)
                    ax.text(len(arms) - 0.5, level, "chance", fontsize=7, color="0.4", ha="right", va="bottom")
                elif np.isfinite(level):
                    bottom = max(lo - 1.7 * pad, -0.02)  # room for the note under the lowest point
                    ax.text(0.99, 0.02, f"chance: {level:.2f}", transform=ax.transAxes, fontsize=7, color="0.4",
                            ha="right", va="bottom")
            ax.set_ylim(bottom, top)
            ax.set_xlim(-0.5, len(arms) - 0.5)
            ax.spines[["top", "right"]].set_visible(False)
            ax.tick_params(labelsize=8)
            ax.grid(axis="y", color="0.9", lw=0.6)
            if i == 0:
                ax.set_title(clf, fontsize=10)
            if j == 0:
                ax.set_ylabel(METRIC_NAMES[m], fontsize=9)
            if i == nrows - 1:
                ax.set_xticks(range(len(arms)), arms, rotation=30 if len(arms) > 3 else 0, ha="right" if
                              len(arms) > 3 else "center", fontsize=8)
    n_parts = len(parts)
    fig.suptitle(f"Metrics on the real test folds: {n_parts} fold{'s' if n_parts != 1 else ''} per arm "
                 "(points; grey lines join the same fold), mean (black bar)", fontsize=10)
    fig.tight_layout()
    return Drawn(_save(fig, out_png), data=pd.DataFrame(rows))


# ------------------------------------------------------------------------------------ confusion
def _classes_by_support(table: pd.DataFrame, label_column: str, weight: str | None) -> list[str]:
    """Classes by their test support (rows of one arm and classifier), fewest first."""
    first = table[(table["arm"] == table["arm"].iloc[0]) & (table["classifier"] == table["classifier"].iloc[0])]
    if weight is None:
        sizes = first.groupby(label_column).size()
    else:
        sizes = _numeric(first[weight]).groupby(first[label_column]).sum()
    return _sort_classes(sizes.to_dict())


def confusion_figure(confusion: pd.DataFrame, out_png, classifier: str = "f1_adaboost",
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
def per_class_f1_figure(per_class: pd.DataFrame, out_png, classifier: str = "f1_adaboost",
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


# ---------------------------------------------------------------------------------- CD diagram
def cd_diagram(mean_ranks: pd.Series, pvalues: pd.DataFrame, out_png, title: str = "", alpha: float = 0.05,
               cd: float | None = None) -> Drawn:
    """The critical-difference diagram (Demsar 2006): arms by mean rank (1 = best, left), arms joined
    by a bar are not told apart at ``alpha`` by the Nemenyi test; look for bars that do not join.

    ``mean_ranks``: arm -> mean rank over the folds; ``pvalues``: the Nemenyi p-value matrix (arms
    x arms, e.g. scikit-posthocs' ``posthoc_nemenyi_friedman``); a missing p-value counts as not
    significant. ``cd``: the critical difference, drawn as a bar when given.
    Returns ``data``: the arms with their mean rank, best first.
    """
    ranks = pd.Series(mean_ranks, dtype=float).dropna()
    ranks.index = ranks.index.astype(str)
    if len(ranks) < 2:
        return _placeholder(out_png, "fewer than two arms to rank", title=title)
    import scikit_posthocs as sp

    plt = _pyplot()
    p = pd.DataFrame(pvalues).copy()
    p.index, p.columns = p.index.astype(str), p.columns.astype(str)
    values = p.reindex(index=ranks.index, columns=ranks.index).to_numpy(dtype=float, copy=True)
    values = np.nan_to_num(values, nan=1.0)  # a missing p-value: not significant
    np.fill_diagonal(values, 1.0)
    values = np.minimum(values, values.T)  # symmetric, whatever rounding gave
    p = pd.DataFrame(values, index=ranks.index, columns=ranks.index)
    longest = max(len(a) for a in ranks.index)
    fig, ax = plt.subplots(figsize=(max(6.0, 3.5 + 0.16 * longest * 2), 1.0 + 0.32 * len(ranks)))
    sp.critical_difference_diagram(ranks, p, alpha=alpha, ax=ax, cd=cd,
                                   label_fmt_left="{label} ({rank:.2f})", label_fmt_right="({rank:.2f}) {label}",
                                   label_props={"fontsize": 9}, text_h_margin=0.02,
                                   color_palette=_arm_colours(ranks.index))  # the arms' colours elsewhere
    heading = f"mean rank (1 = best); a bar joins arms the Nemenyi test does not tell apart at alpha {alpha}"
    fig.suptitle(f"{title}\n{heading}" if title else heading, fontsize=9)
    fig.tight_layout()
    data = ranks.sort_values().rename("mean_rank").rename_axis("arm").reset_index()
    return Drawn(_save(fig, out_png), data=data, extra={"pvalues": p})
