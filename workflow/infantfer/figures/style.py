"""What every report figure shares: the colours, the :class:`Drawn` a figure function returns, saving
a PNG with fixed metadata, the placeholder PNG, and reading tables and columns as given or from files.

Each report figure writes one PNG from plain tables or arrays and returns a :class:`Drawn`: the PNG's
path and the numbers it drew, so that tests (and captions) can check what the picture says. A Drawn
is os.PathLike: ``Path(drawn)`` and ``open(drawn)`` work where a path is expected.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..metrics import REGISTRY

DPI = 110
GAN_SOURCE = "cgan"
REAL_SOURCE = "real"
METRIC_NAMES = {name: metric.axis_label for name, metric in REGISTRY.items()}  # axis labels
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
        from ..metrics import read_metrics
        from ..io.tsv import read_tsv

        return read_metrics(table) if numeric else read_tsv(table)
    return table if table is not None else pd.DataFrame()


def _arrays(value) -> tuple:
    """(x, y, source) of a training set, given as a tuple or as the path of its npz file."""
    if isinstance(value, (str, os.PathLike)):
        from ..io.npz import read_npz

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
