"""The quality gate: which GAN checkpoint, if any, may add synthetic images of a class to a fold.

At each checkpoint and for each class the gate compares the generated images with the *real
training fold* (never with test images); across checkpoints it keeps, per class, the best passing
one (the thesis' Table 3). A class whose generator never passes gets no synthetic images at all.

The checks (per class, one checkpoint), each in a module of its own:
    1. distribution: Jensen-Shannon divergence of PCA histograms against real halves
       (:mod:`~infantfer.gate.divergence`; ``js_pca``, ``js_pixels``, ``js_ok``)
    2. label fidelity: a classifier fitted on the real fold labels the generated images
       (:mod:`~infantfer.gate.reference`; ``label_agreement``, ``real_recall``, ``fidelity_ok``)
    3. sharpness: mean gradient energy against the real images (:mod:`~infantfer.gate.sharpness`)
    4. a classifier two-sample test (:mod:`~infantfer.gate.two_sample`; ``c2st_auc``)
    5. probable copies (:mod:`infantfer.privacy`); a set above ``max_copy_share`` never passes.

:mod:`~infantfer.gate.settings` holds :class:`GateSettings` and the table's columns;
:func:`fit_reference` fits what a real fold gives once (:mod:`~infantfer.gate.reference`),
:func:`score_checkpoint` and :func:`choose` decide (:mod:`~infantfer.gate.score`), and
:func:`gate_run` does all of it for one GAN run's checkpoints (:mod:`~infantfer.gate.run`).
Everything is deterministic given ``seed``. Why each check, its thresholds and what they gave on
real and demo faces: ``docs/design/gate.md``. All log records go to the logger ``infantfer.gate``.
"""

from __future__ import annotations

from .collect import collect_gate
from .divergence import PIXEL_BINS, bin_edges, bin_index, component_counts, js_divergence, pixel_histograms
from .reference import FIDELITY_COMPONENTS, MAX_CV_FOLDS, GateReference, fit_reference, half_size
from .run import gate_run
from .score import choose, score_checkpoint
from .settings import BASELINE_PERCENTILE, COLUMNS, CRITERIA, GateSettings, as_settings
from .sharpness import (NOISE_CEILING_RANGE, SHARPNESS_BASELINE_RANGE, SHARPNESS_PERCENTILE, energy_ratio, gradient_energy,
                        noise_ceiling, noise_energy, sharpness_baseline)
from .two_sample import (C2ST_BASELINE_FLOOR, C2ST_COMPONENTS, C2ST_DRAWS, C2ST_FOLDS, C2ST_POWER_ITERATIONS,
                         c2st_auc)

__all__ = [
    "GateSettings",
    "GateReference",
    "as_settings",
    "half_size",
    "js_divergence",
    "bin_edges",
    "bin_index",
    "component_counts",
    "pixel_histograms",
    "gradient_energy",
    "energy_ratio",
    "sharpness_baseline",
    "noise_energy",
    "noise_ceiling",
    "NOISE_CEILING_RANGE",
    "c2st_auc",
    "fit_reference",
    "score_checkpoint",
    "choose",
    "gate_run",
    "collect_gate",
    "COLUMNS",
    "CRITERIA",
    "PIXEL_BINS",
    "FIDELITY_COMPONENTS",
    "BASELINE_PERCENTILE",
    "MAX_CV_FOLDS",
    "SHARPNESS_PERCENTILE",
    "SHARPNESS_BASELINE_RANGE",
    "C2ST_COMPONENTS",
    "C2ST_FOLDS",
    "C2ST_DRAWS",
    "C2ST_BASELINE_FLOOR",
    "C2ST_POWER_ITERATIONS",
]
