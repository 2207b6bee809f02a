"""Stages 5-6 glue: what each GAN learns from, the gate over its checkpoints, and the top-up.

The two GAN arms of a fold (test images are always the fold's real test images):

========================  =========================  ==============================================
arm                       the GAN learns from        the classifier trains on
========================  =========================  ==============================================
``cgan``                  the real training images   the real training images + accepted generated
``smoteenn_cgan``         the SMOTEENN output        the SMOTEENN output + accepted generated
========================  =========================  ==============================================

A GAN run is named by its *part* (``r{repeat}_f{fold}``, or ``all`` for the balanced set trained on
every real image) and its *source* (``original`` or ``smoteenn``). Generation from the gate's
chosen checkpoint happens after the gate, so changing a gate or evaluate setting never retrains.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

ARM_OF_SOURCE = {"original": "cgan", "smoteenn": "smoteenn_cgan"}
# cgan keys that change a generator; target_ratio and balanced_source only change what is drawn
GENERATOR_KEYS = ("size", "steps", "batch_size", "checkpoint_every", "z_dim", "g_width", "d_width",
                  "lr_g", "lr_d", "ema_decay", "diffaugment", "device", "seed")
PART = re.compile(r"^r(\d+)_f(\d+)$")


def generator_settings(cgan: dict) -> dict:
    return {k: cgan[k] for k in GENERATOR_KEYS}


def parse_part(part: str) -> tuple[int, int] | None:
    """(repeat, fold) of ``r{repeat}_f{fold}``; None for ``all``."""
    if part == "all":
        return None
    m = PART.match(part)
    if not m:
        raise ValueError(f"part must be r<repeat>_f<fold> or all, not {part!r}")
    return int(m.group(1)), int(m.group(2))


def part_offset(part: str) -> int:
    """Seed offset of a part: 1000 * repeat + fold, and 999 for ``all``."""
    rf = parse_part(part)
    return 999 if rf is None else 1000 * rf[0] + rf[1]


@dataclass
class TrainingSet:
    """Images (N, S, S) uint8, labels, ids, and each row's source (real / smote / cgan)."""

    x: np.ndarray
    y: np.ndarray
    id: np.ndarray
    source: np.ndarray
    checkpoint: np.ndarray | None = None
    group: np.ndarray | None = None  # real images' groups (babies), for the gate's grouped recall

    def arrays(self) -> dict[str, np.ndarray]:
        out = {"x": self.x, "y": self.y, "id": self.id, "source": self.source}
        out["checkpoint"] = self.checkpoint if self.checkpoint is not None else np.full(len(self.y), -1)
        return out

    @classmethod
    def load(cls, path) -> "TrainingSet":
        with np.load(path, allow_pickle=False) as f:
            return cls(f["x"], f["y"], f["id"], f["source"], f["checkpoint"] if "checkpoint" in f else None)


def real_part(faces: dict, train_index: np.ndarray) -> TrainingSet:
    return TrainingSet(faces["x"][train_index], faces["y"][train_index], faces["id"][train_index],
                       np.full(len(train_index), "real"), group=faces["group"][train_index])


def part_sets(faces_path, folds_path, part: str, source: str, smoteenn_path=None) -> tuple[TrainingSet, TrainingSet, list[str]]:
    """The real training images of a part, the base set its GAN learns from (the real images, or
    their SMOTEENN output), and the dataset's classes."""
    from .faces import read_faces_npz
    from .split import part_indices, read_folds

    faces = read_faces_npz(faces_path)
    train, _ = part_indices(read_folds(folds_path), faces["id"], part)
    real = real_part(faces, train)
    base = TrainingSet.load(smoteenn_path) if source == "smoteenn" else real
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
    table.to_csv(path, sep="\t", index=False)


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
    return pd.read_csv(path, sep="\t", dtype={"class": str}, keep_default_na=False)


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
            target_ratio: float, face_size: int, seed: int, id_prefix: str) -> tuple[TrainingSet, pd.DataFrame]:
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
    return out, final_counts(out, classes)


def final_counts(ts: TrainingSet, classes: list[str]) -> pd.DataFrame:
    rows = []
    for c in classes:
        mine = ts.source[ts.y == c]
        real, smote, cgan = int((mine == "real").sum()), int((mine == "smote").sum()), int((mine == "cgan").sum())
        rows.append({"label": c, "real": real, "smote": smote, "cgan": cgan, "total": real + smote + cgan})
    return pd.DataFrame(rows)


def export_balanced(ts: TrainingSet, out_dir: str | Path) -> pd.DataFrame:
    """PNG files ``<label>/<id>.png`` and ``manifest.tsv`` (id, file, label, source, checkpoint)."""
    from PIL import Image

    out_dir = Path(out_dir)
    rows = []
    for x, y, i, s, step in zip(ts.x, ts.y, ts.id, ts.source, ts.arrays()["checkpoint"]):
        rel = Path(str(y)) / f"{i}.png"
        (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(x).save(out_dir / rel)
        rows.append({"id": i, "file": rel.as_posix(), "label": y, "source": s, "checkpoint": int(step) if step >= 0 else ""})
    manifest = pd.DataFrame(rows, columns=["id", "file", "label", "source", "checkpoint"])
    manifest.to_csv(out_dir / "manifest.tsv", sep="\t", index=False)
    return manifest
