"""The GAN top-up: one GAN run per fold and base, the gate over its checkpoints, and the images
drawn from each accepted class's chosen checkpoint.

A GAN run is named by its *part* (``r{repeat}_f{fold}``, or ``all`` for the balanced set trained on
every real image; see :mod:`infantfer.split`) and its *base* (``original`` for the real training
images, or a resampled base such as ``smoteenn``; see :mod:`infantfer.arms`). Generation from the
gate's chosen checkpoint happens after the gate, so changing a gate or evaluate setting never
retrains.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .io import TrainingSet, read_faces_npz, read_tsv, write_tsv

log = logging.getLogger(__name__)

# cgan keys that change a generator; target_ratio only changes what is drawn
GENERATOR_KEYS = ("size", "steps", "batch_size", "checkpoint_every", "z_dim", "g_width", "d_width",
                  "lr_g", "lr_d", "ema_decay", "diffaugment", "device", "seed")


def generator_settings(cgan: dict) -> dict:
    return {k: cgan[k] for k in GENERATOR_KEYS}


def real_part(faces: dict, train_index: np.ndarray) -> TrainingSet:
    return TrainingSet(faces["x"][train_index], faces["y"][train_index], faces["id"][train_index],
                       np.full(len(train_index), "real"), group=faces["group"][train_index])


def part_sets(faces_path, folds_path, part: str, resampled_path=None) -> tuple[TrainingSet, TrainingSet, list[str]]:
    """The real training images of a part, the base set a GAN learns from (the real images, or
    their resampled set at ``resampled_path``), and the dataset's classes."""
    from .split import part_indices, read_folds

    faces = read_faces_npz(faces_path)
    train, _ = part_indices(read_folds(folds_path), faces["id"], part)
    real = real_part(faces, train)
    base = TrainingSet.load(resampled_path) if resampled_path else real
    return real, base, sorted(set(faces["y"].tolist()))


def run_key(settings: dict, x: np.ndarray, y: np.ndarray) -> str:
    """A short hash of what a GAN learns: its settings and its training arrays. Checkpoints live
    under it, so a killed job with the same key resumes and a changed one starts afresh. ``steps``
    is left out: a longer run continues a shorter one (the states agree bit for bit on CPU)."""
    h = hashlib.sha256(json.dumps({k: v for k, v in settings.items() if k != "steps"}, sort_keys=True).encode())
    h.update(np.ascontiguousarray(x).tobytes())
    h.update("\n".join(map(str, y)).encode())
    return h.hexdigest()[:12]


def gate_checkpoints(checkpoints: list[Path], steps: int, every: int) -> list[Path]:
    """The checkpoints a run of ``steps`` steps would have written: every ``every`` steps and the
    last. A run extended from a shorter one also holds the shorter run's final step; leave it out."""
    step_of = {p: int(re.search(r"(\d+)", p.stem).group(1)) for p in checkpoints}
    kept = [p for p in checkpoints if step_of[p] <= steps and (step_of[p] % every == 0 or step_of[p] == steps)]
    if not kept or step_of[kept[-1]] != steps:
        log.warning("no checkpoint at step %d among %s: the gate uses what there is", steps, sorted(step_of.values()))
    return kept


def write_checkpoint_list(path, checkpoints: list[Path], classes: list[str], key: str) -> None:
    table = pd.DataFrame({"checkpoint": [int(re.search(r"(\d+)", p.stem).group(1)) for p in checkpoints],
                          "path": [str(p) for p in checkpoints]})
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


def read_gate_table(path) -> pd.DataFrame:
    """The gate's table with class names as strings, whatever they look like ("0", "NA")."""
    return read_tsv(path)


def gate_run(real: TrainingSet, checkpoints: pd.DataFrame, classes: list[str], gate_settings: dict,
             face_size: int, seed: int) -> pd.DataFrame:
    """Score every checkpoint of one GAN run against the real training images, then choose."""
    from .cgan import generate
    from .gate import choose, fit_reference, score_checkpoint

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
            generated[c] = generate(row.path, labels, seed=seed + code, size=face_size, device="cpu")
        table = score_checkpoint(ref, generated, gate_settings)
        table.insert(0, "checkpoint", int(row.checkpoint))
        tables.append(table)
        log.info("gate: checkpoint %d: %s", row.checkpoint,
                 ", ".join(f"{r['class']} {'pass' if r['passed'] else 'fail'}" for _, r in table.iterrows()))
    decided = choose(pd.concat(tables, ignore_index=True), gate_settings)
    never = sorted(set(decided["class"]) - set(decided.loc[decided["accepted"], "class"]))
    if never:
        log.warning("gate: class(es) %s never passed: they get no generated images", never)
    return decided


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

    chosen = gate_table[gate_table["chosen"] & gate_table["accepted"]].set_index("class")["checkpoint"]
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
        xs.append(generate(paths[step], np.full(n, code), seed=seed + 7919 * (code + 1), size=face_size, device="cpu"))
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
