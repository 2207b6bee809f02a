"""Figures: pictures of what the workflow made, for the README and the report.

matplotlib with the Agg backend (no display needed); every function writes one PNG.
"""

from __future__ import annotations

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
