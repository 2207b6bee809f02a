"""Every fold GAN run's gate table as one table (``js_divergence.tsv``, the thesis' Table 3)."""

from __future__ import annotations

import pandas as pd

from ..arms import join_by_arm
from ..io.tsv import read_tsv


def collect_gate(paths: list, runs: list[tuple[str, str]], gan_arms: dict[str, str]) -> pd.DataFrame:
    """The gate tables at ``paths`` (one per (part, base) of ``runs``, in that order) with an arm
    column per GAN arm (``gan_arms``: arm -> base)."""
    return join_by_arm(gan_arms, runs, [read_tsv(p) for p in paths])
