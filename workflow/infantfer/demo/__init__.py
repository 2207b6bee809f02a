"""Built-in demo dataset: procedurally drawn, cartoon-like infant faces (cry / laugh / neutral).

What it is for
    The workflow's default dataset. It needs no download and no licence, so every rule
    (loading, grouped splits, SMOTEENN, the CGAN, evaluation, reports) can be run and tested
    end to end on a laptop in seconds.

What it is not
    The images are SYNTHETIC cartoons drawn with OpenCV primitives. They are not photographs
    and resemble real infants only loosely. Use them to test mechanics, never to make claims
    about infants, about infant expressions, or about how well a method works on real data.

How it is built
    Synthetic babies with fixed identities, several images each (mostly of one class), with
    jittered pose, lighting, noise and expression intensity; default counts cry 150 / laugh 60 /
    neutral 20; one seed gives byte-identical images. The details and the difficulty measured
    on it: docs/design/demo.md.

Modules: :mod:`.babies` (identities, expressions, which baby each image is of), :mod:`.face`
(the face parts), :mod:`.drawing` (the primitives they use) and :mod:`.render` (one image).
``python -m infantfer.demo [PATH]`` regenerates resources/demo_grid.png.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .babies import _assign_babies, _sample_baby, _sample_expression
from .drawing import _SS
from .render import _render

__all__ = ["CLASSES", "DEFAULT_COUNTS", "DEFAULT_SEED", "DEFAULT_SIZE", "DemoSet", "class_groups", "generate_demo", "write_demo", "save_sample_grid"]

CLASSES: tuple[str, ...] = ("cry", "laugh", "neutral")
# the demo layout's defaults (datasets.<name>.counts, size and seed), here only
DEFAULT_COUNTS: dict[str, int] = {"cry": 150, "laugh": 60, "neutral": 20}
DEFAULT_SIZE = 64
DEFAULT_SEED = 0


@dataclass
class DemoSet:
    """A generated demo dataset (arrays in id order)."""

    images: np.ndarray  # uint8 (N, S, S, 3) RGB
    labels: np.ndarray  # str (N,)
    groups: np.ndarray  # str (N,) baby id, e.g. "baby017"
    ids: np.ndarray  # str (N,) e.g. "demo_0000"

    def __len__(self) -> int:
        return len(self.labels)


def class_groups(counts: dict[str, int] | None = None, seed: int = DEFAULT_SEED,
                 images_per_baby: tuple[int, int] = (3, 8)) -> dict[str, int]:
    """Babies (groups) per class of :func:`generate_demo` with the same arguments, without drawing an
    image: its first draws from the seed plan the babies. The check before any job counts these."""
    counts = dict(DEFAULT_COUNTS if counts is None else counts)
    babies: dict[str, set[int]] = {}
    for baby, label in _assign_babies(counts, images_per_baby, np.random.default_rng(seed)):
        babies.setdefault(label, set()).add(baby)
    return {label: len(babies[label]) for label in sorted(babies)}


def generate_demo(
    counts: dict[str, int] | None = None,
    size: int = DEFAULT_SIZE,
    seed: int = DEFAULT_SEED,
    images_per_baby: tuple[int, int] = (3, 8),
) -> DemoSet:
    """Draw the synthetic demo set. Same arguments -> byte-identical output.

    counts: images per class (default cry 150 / laugh 60 / neutral 20); labels must be in CLASSES.
    size: side of the square RGB images. images_per_baby: inclusive range of images per baby.
    """
    counts = dict(DEFAULT_COUNTS if counts is None else counts)
    bad = set(counts) - set(CLASSES)
    if bad:
        raise ValueError(f"unknown demo classes {sorted(bad)}; expected a subset of {CLASSES}")
    if any(int(n) < 0 for n in counts.values()):
        raise ValueError("counts must be non-negative")
    lo, hi = images_per_baby
    if not (1 <= lo <= hi):
        raise ValueError("images_per_baby must be (lo, hi) with 1 <= lo <= hi")
    if size < 16:
        raise ValueError("size must be at least 16")
    rng = np.random.default_rng(seed)
    plan = _assign_babies(counts, (lo, hi), rng)  # the seed's first draws: class_groups replays them
    n_babies = plan[-1][0] + 1 if plan else 0
    babies = [_sample_baby(rng, size * _SS) for _ in range(n_babies)]
    images = np.zeros((len(plan), size, size, 3), np.uint8)
    for i, (bi, lab) in enumerate(plan):
        images[i] = _render(babies[bi], _sample_expression(rng, lab), size, rng)
    return DemoSet(
        images=images,
        labels=np.array([lab for _, lab in plan], dtype=str),
        groups=np.array([f"baby{bi:03d}" for bi, _ in plan], dtype=str),
        ids=np.array([f"demo_{i:04d}" for i in range(len(plan))], dtype=str),
    )


def write_demo(
    out_dir: str | Path, counts: dict[str, int] | None = None, size: int = DEFAULT_SIZE, seed: int = DEFAULT_SEED
) -> pd.DataFrame:
    """Write the demo set as lossless PNGs ``out_dir/<label>/<id>.png``.

    Returns a DataFrame (columns file, label, group; in id order) with ``file`` relative to
    out_dir in posix form.
    """
    from PIL import Image

    out_dir = Path(out_dir)
    demo = generate_demo(counts=counts, size=size, seed=seed)
    rows = []
    for img, lab, grp, iid in zip(demo.images, demo.labels, demo.groups, demo.ids):
        rel = Path(str(lab)) / f"{iid}.png"
        (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.ascontiguousarray(img)).save(out_dir / rel, format="PNG")
        rows.append({"file": rel.as_posix(), "label": str(lab), "group": str(grp)})
    return pd.DataFrame(rows, columns=["file", "label", "group"])


def save_sample_grid(path: str | Path, demo: DemoSet | None = None, per_class: int = 8, seed: int = 0) -> None:
    """Save a PNG grid: one row per class (name at the left), ``per_class`` random images each."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if demo is None:
        demo = generate_demo(seed=seed)
    rng = np.random.default_rng(seed)
    classes = [c for c in CLASSES if np.any(demo.labels == c)]
    classes += sorted(set(demo.labels.tolist()) - set(classes))
    fig = Figure(figsize=(1.2 + 1.35 * per_class, 0.4 + 1.45 * len(classes)), dpi=110)
    FigureCanvasAgg(fig)
    for r, c in enumerate(classes):
        idx = np.flatnonzero(demo.labels == c)
        pick = np.sort(rng.choice(idx, size=min(per_class, len(idx)), replace=False))
        for k in range(per_class):
            ax = fig.add_subplot(len(classes), per_class, r * per_class + k + 1)
            ax.set_xticks([])
            ax.set_yticks([])
            if k < len(pick):
                ax.imshow(demo.images[pick[k]], interpolation="nearest")
                ax.set_title(str(demo.groups[pick[k]]), fontsize=6, pad=2)
            else:
                ax.axis("off")
            if k == 0:
                ax.set_ylabel(f"{c} (n={len(idx)})", fontsize=9, rotation=0, ha="right", va="center")
    fig.suptitle("infantfer synthetic demo (cartoon; for testing mechanics only)", fontsize=9)
    w_in, h_in = fig.get_size_inches()
    fig.subplots_adjust(left=1.2 / w_in, right=0.99, bottom=0.02, top=1 - 0.4 / h_in, wspace=0.05, hspace=0.25)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")

