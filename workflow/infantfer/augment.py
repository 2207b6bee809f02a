"""The GAN top-up: the images drawn from each accepted class's chosen checkpoint of a GAN run
(:mod:`infantfer.gan_run`), after the gate (:func:`infantfer.gate.gate_run`), so that changing a
gate or evaluate setting never retrains.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd

from .io.npz import TrainingSet
from .io.tsv import read_tsv
from .parts import top_up_seed

log = logging.getLogger(__name__)


def read_gate_table(path) -> pd.DataFrame:
    """The gate's table with class names as strings, whatever they look like ("0", "NA")."""
    return read_tsv(path)


def top_up_counts(base_y: np.ndarray, classes: list[str], accepted: set[str], target_ratio: float) -> dict[str, int]:
    """Generated images per class: up to target_ratio x the largest class of the base set, for
    accepted classes only."""
    counts = {c: int((base_y == c).sum()) for c in classes}
    target = math.ceil(target_ratio * max(counts.values()))
    return {c: max(0, target - counts[c]) if c in accepted else 0 for c in classes}


def augment(base: TrainingSet, gate_table: pd.DataFrame, checkpoints: pd.DataFrame, classes: list[str],
            target_ratio: float, face_size: int, seed: int, id_prefix: str) -> TrainingSet:
    """The base set plus generated images from each accepted class's chosen checkpoint."""
    from .cgan import generate

    chosen = gate_table[gate_table["chosen"]].set_index("class")["checkpoint"]
    unknown = set(chosen.index) - set(classes)
    if unknown:
        raise ValueError(f"gate table names class(es) {sorted(unknown)} not among {classes}")
    paths = checkpoints.set_index("checkpoint")["path"]
    wanted = top_up_counts(base.y, classes, set(chosen.index), target_ratio)
    xs, ys, ids, steps = [base.x], [base.y], [base.id], [np.full(len(base.y), -1)]
    for code, c in enumerate(classes):
        n = wanted[c]
        if n == 0:
            continue
        step = int(chosen[c])
        xs.append(generate(paths[step], np.full(n, code), seed=top_up_seed(seed, code), size=face_size, device="cpu"))
        ys.append(np.full(n, c))
        ids.append(np.array([f"{id_prefix}-{c}-{i:05d}" for i in range(n)]))
        steps.append(np.full(n, step))
        log.info("class '%s': %d generated images from checkpoint %d", c, n, step)
    n_gen = sum(wanted.values())
    out = TrainingSet(
        x=np.concatenate(xs), y=np.concatenate(ys).astype(str), id=np.concatenate(ids).astype(str),
        source=np.concatenate([base.source, np.full(n_gen, "cgan")]).astype(str),
        checkpoint=np.concatenate(steps).astype(np.int64),
    )
    return out
