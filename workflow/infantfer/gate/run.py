"""The gate of one GAN run (:func:`gate_run`): every checkpoint's images drawn, scored, then chosen.

The images are drawn here, not in :mod:`infantfer.gan_run` or :mod:`infantfer.cgan`: the rule
cgan_train's code digest covers those, and a change to what the gate draws must never retrain a GAN.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .reference import fit_reference
from .score import choose, score_checkpoint
from ..parts import gate_draw_seed

if TYPE_CHECKING:  # pragma: no cover
    from ..io.npz import TrainingSet

__all__ = ["gate_run"]

log = logging.getLogger(__package__)  # infantfer.gate, as when the gate was one module


def gate_run(real: TrainingSet, checkpoints: pd.DataFrame, classes: list[str], gate_settings: dict,
             face_size: int, seed: int) -> pd.DataFrame:
    """Score every checkpoint of one GAN run against the real training images, then choose."""
    from ..cgan import generate  # torch: imported only where images are drawn

    ref = fit_reference(real.x, real.y, gate_settings, groups=real.group)
    tables = []
    for row in checkpoints.itertuples():
        generated = {}
        for code, c in enumerate(classes):
            n_real = int((real.y == c).sum())
            if n_real == 0:
                continue
            # a pool as large as the real class: the gate draws real-half-sized samples from it
            labels = np.full(max(2, n_real), code)
            # on the CPU whatever trained the GAN: the same images on every machine
            generated[c] = generate(row.path, labels, seed=gate_draw_seed(seed, code), size=face_size, device="cpu")
        table = score_checkpoint(ref, generated, gate_settings)
        table.insert(0, "checkpoint", int(row.checkpoint))
        tables.append(table)
        log.info("gate: checkpoint %d: %s", row.checkpoint,
                 ", ".join(f"{r['class']} {'pass' if r['passed'] else 'fail'}" for _, r in table.iterrows()))
    decided = choose(pd.concat(tables, ignore_index=True), gate_settings)
    never = sorted(map(str, set(decided["class"]) - set(decided.loc[decided["chosen"], "class"])))
    if never:
        log.warning("gate: class(es) %s never passed: they get no generated images", never)
    return decided

