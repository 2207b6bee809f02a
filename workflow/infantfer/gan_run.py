"""One GAN run of the workflow: the images it learns from, its key, and its list of checkpoints.

A GAN run is named by its *part* (``r{repeat}_f{fold}``, or ``all`` for the balanced set trained on
every real image; see :mod:`infantfer.split`) and its *base* (``original`` for the real training
images, or a resampled base such as ``smoteenn``; see :mod:`infantfer.arms`). What follows a run,
the gate (:func:`infantfer.gate.gate_run`) and the top-up (:mod:`infantfer.augment`), lives with
them, so that a change to either never retrains a GAN (the rules rerun on the logic of the modules
their scripts import).
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from .io.npz import TrainingSet, read_faces_npz
from .io.tsv import write_tsv

log = logging.getLogger(__name__)

DRAW_ONLY_KEYS = ("target_ratio",)  # cgan keys that change what is drawn, never the generator


def absent_means() -> dict:
    """The cgan keys added after GANs had been trained, each with the value that does what those
    runs did (the schema's ``x-absent-means``). A run at these values keeps its run key and so its
    checkpoints: adding a key retrains nothing (issue L). The GAN package reads the same values for
    checkpoints that lack the key (infantfer.cgan.config.with_absent_keys)."""
    from .schema import section

    return {k: v["x-absent-means"] for k, v in section("cgan")["properties"].items() if "x-absent-means" in v}


def without_absent_keys(settings: dict) -> dict:
    """cgan settings without the later keys that are at their :func:`absent_means` value: what a
    key that stays the same for runs made before it is computed from (run keys, step-time keys)."""
    absent = absent_means()
    return {k: v for k, v in settings.items() if not (k in absent and v == absent[k])}


def generator_settings(cgan: dict) -> dict:
    """The cgan settings that make a generator (every key of the schema's cgan section but
    DRAW_ONLY_KEYS): a change to any of them retrains."""
    return {k: v for k, v in cgan.items() if k not in DRAW_ONLY_KEYS}


def real_part(faces: dict, train_index: np.ndarray) -> TrainingSet:
    return TrainingSet(faces["x"][train_index], faces["y"][train_index], faces["id"][train_index],
                       np.full(len(train_index), "real"), group=faces["group"][train_index])


def part_sets(faces_path, folds_path, part: str, resampled_path=None) -> tuple[TrainingSet, TrainingSet, list[str]]:
    """The real training images of a part, the base set a GAN learns from (the real images, or
    their resampled set at ``resampled_path``), and the dataset's classes. ``folds_path`` is the
    part's repeat's folds table (none for part ``all``)."""
    from .split import part_indices, read_folds

    faces = read_faces_npz(faces_path)
    train, _ = part_indices(read_folds(folds_path) if folds_path else None, faces["id"], part)
    real = real_part(faces, train)
    base = TrainingSet.load(resampled_path) if resampled_path else real
    return real, base, sorted(set(faces["y"].tolist()))


def held_back_images(faces_path, folds_path, part: str):
    """(x, y) of the real test images of a part (None for part ``all``: nothing is held back).
    Read for the privacy audit's membership-inference AUC only, which is reported and decides
    nothing."""
    from .parts import parse_part
    from .split import part_indices, read_folds

    if parse_part(part) is None:
        return None
    faces = read_faces_npz(faces_path)
    _, test = part_indices(read_folds(folds_path), faces["id"], part)
    return faces["x"][test], faces["y"][test]


def run_key(settings: dict, x: np.ndarray, y: np.ndarray) -> str:
    """A short hash of what a GAN learns: its settings and its training arrays. Checkpoints live
    under it, so a killed job with the same key resumes and a changed one starts afresh. ``steps``
    is left out: a longer run continues a shorter one (the states agree bit for bit on CPU); so is
    ``precision: auto``, which the job resolves where it runs and the checkpoints record, so that a
    run moved to another machine resumes in its own precision instead of starting afresh. A key
    added later is left out at the value that does what runs made before it did (the schema's
    ``x-absent-means``), so that adding it retrains nothing."""
    kept = {k: v for k, v in without_absent_keys(settings).items()
            if k != "steps" and not (k == "precision" and v == "auto")}
    h = hashlib.sha256(json.dumps(kept, sort_keys=True).encode())
    h.update(np.ascontiguousarray(x).tobytes())
    h.update("\n".join(map(str, y)).encode())
    return h.hexdigest()[:12]


def gate_checkpoints(checkpoints: list[tuple[int, Path]], steps: int, every: int) -> list[tuple[int, Path]]:
    """The (step, path) checkpoints a run of ``steps`` steps would have written: every ``every``
    steps and the last. A run extended from a shorter one also holds the shorter run's final step;
    leave it out."""
    kept = [(s, p) for s, p in checkpoints if s <= steps and (s % every == 0 or s == steps)]
    if not kept or kept[-1][0] != steps:
        log.warning("no checkpoint at step %d among %s: the gate uses what there is", steps,
                    sorted(s for s, _ in checkpoints))
    return kept


def write_checkpoint_list(path, checkpoints: list[tuple[int, Path]], classes: list[str], key: str) -> None:
    table = pd.DataFrame({"checkpoint": [s for s, _ in checkpoints], "path": [str(p) for _, p in checkpoints]})
    table["classes"] = json.dumps(classes)  # JSON: class names may hold commas
    table["run_key"] = key
    write_tsv(table, path)


def read_checkpoint_list(path) -> tuple[pd.DataFrame, list[str]]:
    table = pd.read_csv(path, sep="\t", keep_default_na=False)
    missing = [p for p in table["path"] if not Path(p).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{path} lists checkpoint(s) that are gone, e.g. {missing[0]}. Fix: delete {path} "
            "so that Snakemake retrains that GAN."
        )
    return table, json.loads(table["classes"].iloc[0])
