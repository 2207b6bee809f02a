"""Figures: pictures of what the workflow made, for the docs and the report.

matplotlib with the Agg backend (no display needed); every function writes one PNG. The report's
figures (:func:`class_counts_figure` to :func:`cd_diagram`) take plain tables and arrays, or the
paths of the workflow's files, and return a :class:`Drawn`: the PNG's path and the numbers drawn.
No torch, no OpenCV, no scikit-learn: a figure job starts in about a second.

Modules: :mod:`.style` (colours, Drawn, saving, placeholders), :mod:`.counts`, :mod:`.faces`,
:mod:`.gate`, :mod:`.metrics` (metrics per fold, confusion, per-class F1), :mod:`.forest` (the paired
differences with their CIs, the rope and the verdicts), :mod:`.cd` (the critical-difference diagram)
and :mod:`.dataset` (rule figures' figures of a dataset).
"""

from .cd import cd_diagram, draw_cd
from .counts import class_counts_figure, class_order, class_order_of_folds
from .dataset import draw_all, draw_faces, draw_gate, sample_sets
from .faces import balanced_grid, sample_faces_figure
from .forest import VERDICT_COLOURS, forest_figure
from .gate import js_figure
from .metrics import confusion_figure, metric_folds_figure, per_class_f1_figure
from .quality import quality_figure
from .style import DPI, GAN_SOURCE, METRIC_NAMES, REAL_SOURCE, SOURCE_COLOURS, Drawn

__all__ = [
    "DPI", "GAN_SOURCE", "METRIC_NAMES", "REAL_SOURCE", "SOURCE_COLOURS", "VERDICT_COLOURS", "Drawn", "balanced_grid",
    "cd_diagram", "class_counts_figure", "class_order", "class_order_of_folds", "confusion_figure", "draw_all", "draw_cd", "draw_faces",
    "draw_gate", "forest_figure", "js_figure", "metric_folds_figure", "quality_figure", "per_class_f1_figure", "sample_faces_figure",
    "sample_sets",
]
