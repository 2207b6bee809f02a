"""The GAN's quality against its checkpoints (infantfer.quality): what the classifier trained on
its images scores, what a no-skill generator scores, and how far it copies or gives its photos away."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .style import Drawn, _arm_colours, _pyplot, _save

# (column, title, reference line, its label, y limits)
PANELS = [
    ("cas_ratio", "CAS ratio (generated-trained / real-trained macro F1)", 1.0, "real images", (0, 1.2)),
    ("c2st_auc_mean", "two-sample AUC on pixels (0.5: not told from real)", 0.5, "indistinguishable", (0.4, 1.02)),
    ("texture_auc_mean", "two-sample AUC on edges and texture (dashed: held-out images)", 0.5, "indistinguishable",
     (0.4, 1.02)),
    ("copy_share_max", "largest copy share of a class", None, "", (0, None)),
    ("mia_auc_pixels", "membership-inference AUC (pixels)", 0.5, "no leak", (0.3, 1.0)),
]


def _panel(ax, table: pd.DataFrame, column: str, colours: dict, trivial: bool) -> None:
    for arm, mine in table.groupby("arm", sort=False):
        for _, fold in mine.groupby(["repeat", "fold"]):
            ax.plot(fold["checkpoint"], fold[column], color=colours[arm], alpha=0.25, lw=0.8)
        mean = mine.groupby("checkpoint")[column].mean()
        ax.plot(mean.index, mean.to_numpy(), color=colours[arm], lw=2, marker="o", ms=3, label=f"{arm} (mean of folds)")
    if column == "texture_auc_mean" and "texture_auc_heldout_mean" in table:
        for arm, mine in table.groupby("arm", sort=False):
            held = mine.groupby("checkpoint")["texture_auc_heldout_mean"].mean()
            ax.plot(held.index, held.to_numpy(), color=colours[arm], lw=1.5, ls="--", label=f"{arm}, held-out images")
    if trivial:  # the no-skill generator depends on the fold's real images only: one line for every arm
        first = table[table["arm"] == table["arm"].iloc[0]]
        base = first.groupby("checkpoint")["trivial_cas_ratio"].mean()
        ax.plot(base.index, base.to_numpy(), color="0.3", ls=":", lw=1.5, label="mean face + noise (no skill)")


def quality_figure(table: pd.DataFrame, out_png, max_copy_share: float | None = None) -> Drawn:
    """Five panels against the checkpoint step, a line per GAN arm (thin: each fold)."""
    plt = _pyplot()
    colours = _arm_colours(table["arm"])
    panels = [p for p in PANELS if p[0] in table.columns]
    fig, axes = plt.subplots(3, 2, figsize=(10, 9.3), sharex=True)
    axes.flat[-1].set_visible(len(panels) > 5)
    for ax, (column, title, ref, ref_label, limits) in zip(axes.flat, panels):
        _panel(ax, table, column, colours, trivial=column == "cas_ratio")
        line = max_copy_share if column == "copy_share_max" else ref
        if line is not None and np.isfinite(line):
            ax.axhline(line, color="0.4", ls="--", lw=1, label=ref_label or "privacy.max_copy_share")
        ax.set_title(title, fontsize=10)
        ax.set_ylim(*limits)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    for ax in axes[-1]:
        ax.set_xlabel("GAN training step (checkpoint)")
    axes[1, 1].xaxis.set_tick_params(labelbottom=True)  # above the hidden sixth panel
    axes[1, 1].set_xlabel("GAN training step (checkpoint)")
    fig.suptitle("GAN quality per checkpoint on the folds' test images (reported only; nothing decides by it)",
                 fontsize=11)
    fig.tight_layout()
    return Drawn(_save(fig, out_png))
