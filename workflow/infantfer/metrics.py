"""The metrics every fold is scored on, one registry entry each: its column in ``metrics.tsv``,
how it is computed, and its names for people. Evaluate computes them, statistics compares them,
figures and the report name them; the schema holds each one's default rope
(``statistics.rope.<name>``, with its reason), and a test keeps the two in step.

Adding a metric: one :class:`Metric` below and its rope in the schema.

Display names are given as ``display=`` keywords: a job that draws nothing for people leaves
them out of its code digest (:mod:`infantfer.code_digests`), so renaming a metric reruns the
report and the figures, never a classifier.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd


def _macro_f1(y_true: np.ndarray, y_pred: np.ndarray, scores: np.ndarray, classes: list[str]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y_true, y_pred, labels=classes, average="macro", zero_division=0))


def _g_mean(y_true: np.ndarray, y_pred: np.ndarray, scores: np.ndarray, classes: list[str]) -> float:
    from imblearn.metrics import geometric_mean_score

    return float(geometric_mean_score(y_true, y_pred, labels=classes, average="multiclass"))


def _auc_ovr(y_true: np.ndarray, y_pred: np.ndarray, scores: np.ndarray, classes: list[str]) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y_true, scores[:, 1] if len(classes) == 2 else scores, labels=classes,
                               multi_class="ovr"))


@dataclass(frozen=True)
class Metric:
    """``score(y_true, y_pred, scores, classes)``: the metric of one fit on one test fold, in
    [0, 1]; ``scores``: one column per class of ``classes`` (sorted). ``display``: its name in
    sentences and tables; ``display_axis``: on a figure's axis (default ``display``)."""

    name: str
    score: Callable[..., float]
    display: str = field(kw_only=True)
    display_axis: str = field(default="", kw_only=True)

    @property
    def axis_label(self) -> str:
        return self.display_axis or self.display


REGISTRY: dict[str, Metric] = {m.name: m for m in (
    Metric("macro_f1", _macro_f1, display="macro F1"),
    Metric("g_mean", _g_mean, display="G-mean"),
    Metric("auc_ovr", _auc_ovr, display="AUC", display_axis="AUC (one-vs-rest)"),
)}
METRICS = list(REGISTRY)  # the columns of metrics.tsv that are metrics, in the order tables show them


def display_name(metric: str) -> str:
    """A metric's name for people (its column name where it is not a registered metric)."""
    return REGISTRY[metric].display if metric in REGISTRY else metric


def axis_label(metric: str) -> str:
    return REGISTRY[metric].axis_label if metric in REGISTRY else metric


def read_metrics(path: str | os.PathLike) -> pd.DataFrame:
    """A metrics table: names stay text whatever they look like ("NA", "01"); empty or NaN
    metrics (a fold missing a class) are NaN."""
    import pandas as pd

    from .io.tsv import read_tsv

    table = read_tsv(path)
    for column in ("repeat", "fold"):
        table[column] = pd.to_numeric(table[column])
    for column in METRICS:
        table[column] = pd.to_numeric(table[column].replace("", "nan"), errors="coerce")
    return table
