"""Pictures of faces: sample rows of each class's generated (and, where allowed, real and SMOTE)
images, and the grid of a balanced set's images."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from .style import GAN_SOURCE, REAL_SOURCE, Drawn, _arrays, _ordered_unique, _placeholder, _pyplot, _save, _sort_classes

HIDDEN = "real faces and SMOTE images (blends of two real faces) are not shown: show_real is off (photos of minors)"
NOTES = {"no accepted images": "no accepted images: the gate passed no checkpoint for this class",
         "none needed": "none needed: the class was already at its target size"}


def balanced_grid(balanced_dir: str | Path, out_png: str | Path, per_row: int = 10, show_real: bool = True,
                  seed: int = 0) -> Path:
    """One row per class and source of a balanced set (``balanced/manifest.tsv`` and its PNGs):
    up to ``per_row`` images drawn at random (seeded), labelled with the class, the source and
    how many images of that kind the set holds. ``show_real=False`` leaves out real images and
    SMOTE-like mixes of them (photos of minors: see docs/privacy.md)."""
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
    norm, real_x, real_y, gan_sets = _face_sets(sets, real, gan_sets)
    classes = _face_classes(norm, real_y, class_order)

    has_mixes = any(((s != REAL_SOURCE) & (s != GAN_SOURCE)).any() for _, _, s in norm.values())
    if not gan_sets and not (show_real and (real_y is not None or has_mixes)):
        return _placeholder(out_png, "no GAN arm configured" if not sets else "no generated images to show",
                            title="" if show_real else "real and SMOTE faces are not shown (show_real is off)")

    rows = _face_rows(classes, norm, gan_sets, real_x, real_y, show_real, per_row, seed, accepted)
    data = pd.DataFrame([{"class": c, "set": n, "source": s, "available": k,
                          "drawn": 0 if im is None else len(im), "note": note} for c, n, s, im, k, note in rows])
    fig = _draw_faces(plt, rows, classes, show_real, per_row, seed)
    return Drawn(_save(fig, out_png), data=data, extra={"show_real": show_real})


def _face_sets(sets: dict, real, gan_sets) -> tuple[dict, np.ndarray | None, np.ndarray | None, list[str]]:
    """The sets as (x, y, source) arrays of text labels and sources, the real faces (real rows only)
    and the names of the sets that are GAN outputs."""
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
    return norm, real_x, real_y, gan_sets


def _face_classes(norm: dict, real_y: np.ndarray | None, class_order: list[str] | None) -> list[str]:
    """Every label anywhere, ``class_order`` first, else fewest real images first."""
    sizes: dict[str, int] = {}  # classes: every label anywhere; sizes from the real images seen
    for _, y, s in norm.values():
        for c in np.unique(y):
            sizes[c] = max(sizes.get(c, 0), int(((y == c) & (s == REAL_SOURCE)).sum()))
    if real_y is not None:
        for c in np.unique(real_y):
            sizes[c] = max(sizes.get(c, 0), int((real_y == c).sum()))
    classes = list(class_order) if class_order is not None else _sort_classes(sizes)
    classes += [c for c in _sort_classes(sizes) if c not in classes]
    return classes


def _why_none(norm: dict, accepted: dict | None, name: str, c: str) -> str:
    """Why a GAN set has no generated image of class ``c``: none needed, or no accepted images."""
    if accepted is not None and name in accepted:
        return "none needed" if c in set(map(str, accepted[name])) else "no accepted images"
    _, y, s = norm[name]
    totals = {k: int((y == k).sum()) for k in np.unique(y)}
    topped = [totals[k] for k in np.unique(y[s == GAN_SOURCE])]
    target = max(topped) if topped else max(totals.values(), default=0)
    return "none needed" if totals.get(c, 0) >= target > 0 else "no accepted images"


def _face_rows(classes: list[str], norm: dict, gan_sets: list[str], real_x, real_y, show_real: bool, per_row: int,
               seed: int, accepted: dict | None) -> list[tuple]:
    """The figure's rows, class by class: (class, set, source, images or None, available, note)."""
    rows = []
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
                    rows.append((c, name, GAN_SOURCE, None, 0, _why_none(norm, accepted, name, c)))
            if show_real:
                for src in _ordered_unique(s[(y == c) & (s != REAL_SOURCE) & (s != GAN_SOURCE)]):
                    idx = np.flatnonzero((y == c) & (s == src))
                    pick = _row_pick(len(idx), per_row, seed, f"{c}|{name}|{src}")
                    rows.append((c, name, src, x[idx[pick]], len(idx), ""))
    return rows


def _draw_faces(plt, rows: list[tuple], classes: list[str], show_real: bool, per_row: int, seed: int):
    """The figure of the rows: class names | row labels | faces (16 px faces at ~4x, nearest-neighbour)."""
    # geometry in inches
    cell = 0.62
    row_h = cell
    class_w = max(0.9, 0.09 * max(len(str(c)) for c in classes) + 0.2)
    label_w = max(1.6, 0.068 * max(len(n) for _, n, *_ in rows) + 0.25)
    fig_w = class_w + label_w + per_row * cell + 0.1
    top, bottom = (0.62 if not show_real else 0.45), 0.32
    fig_h = top + bottom + len(rows) * row_h
    fig = plt.figure(figsize=(fig_w, fig_h))
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
            fig.text((class_w + label_w + per_row * cell / 2) / fig_w, mid, NOTES[note], ha="center",
                     va="center", fontsize=8, color="#b00000" if note == "no accepted images" else "0.35",
                     style="italic")
            continue
        _face_strip(fig, grey, images, [(class_w + label_w) / fig_w, (y_top - row_h + 0.03) / fig_h,
                                        per_row * cell / fig_w, (row_h - 0.06) / fig_h], per_row)
    generated = any(src == GAN_SOURCE for _, _, src, *_ in rows)
    if generated:
        heading = ("Sample faces per class: generated images from the gate's chosen checkpoint"
                   + (", real faces and SMOTE images" if show_real else "\n" + HIDDEN))
    else:  # no GAN arm: real faces and the resamplers' images only (drawn only with show_real)
        heading = "Sample faces per class: real faces and the resamplers' synthetic images (no GAN arm)"
    fig.text(0.5, 1 - 0.08 / fig_h, heading, ha="center", va="top", fontsize=9)
    fig.text(0.5, 0.1 / fig_h, f"up to {per_row} images a row, drawn at random (seed {seed}); classes with "
             "fewest real images first", ha="center", va="bottom", fontsize=7, color="0.35")
    return fig


def _face_strip(fig, grey, images: np.ndarray, rect: list[float], per_row: int) -> None:
    """One row of faces in one axes (not one per face: many axes make a slow figure), white gaps."""
    side_h, side_w = images.shape[1:3]
    gap = max(1, round(side_w / 10))
    strip = np.full((side_h, per_row * (side_w + gap) - gap), np.nan)
    for k, im in enumerate(images):
        strip[:, k * (side_w + gap):k * (side_w + gap) + side_w] = im
    ax = fig.add_axes(rect)
    ax.imshow(strip, cmap=grey, vmin=0, vmax=255, interpolation="nearest", aspect="equal")
    ax.set_anchor("W")
    ax.set_axis_off()
