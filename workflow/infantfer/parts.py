"""The names and seeds of the units of work, in one place.

A *part* names the training images a job works on: ``r{repeat}_f{fold}`` (one fold's training
side) or ``all`` (every image: the balanced set users take home). A GAN *run* is a part and a
base (``original`` or a resampled base): ``{part}_{base}``. Its checkpoints are ``step_{step:06d}.pt``.
Seeds derive from the configured seed by the functions below, so that no two stages draw from the
same stream by accident. Standard library only: the torch-and-numpy-only GAN code uses it too.
"""

from __future__ import annotations

import re
from pathlib import Path

ALL = "all"
FOLD_PART_PATTERN = r"r\d+_f\d+"  # a Snakemake wildcard constraint
PART_PATTERN = rf"{FOLD_PART_PATTERN}|{ALL}"
_PART = re.compile(r"^r(\d+)_f(\d+)$")
ALL_OFFSET = 999  # the seed offset of part "all"; folds stay below 1000 (see fold_seed)


def part_name(repeat: int, fold: int) -> str:
    return f"r{int(repeat)}_f{int(fold)}"


def fold_parts(repeats: int, folds: int) -> list[str]:
    """Every fold part of ``repeats`` x ``folds``, repeat by repeat."""
    return [part_name(r, f) for r in range(repeats) for f in range(folds)]


def parse_part(part: str) -> tuple[int, int] | None:
    """(repeat, fold) of ``r{repeat}_f{fold}``; None for ``all``. Parts come from Snakemake's
    wildcards, never from file names."""
    if part == ALL:
        return None
    m = _PART.match(part)
    if not m:
        raise ValueError(f"part must be r<repeat>_f<fold> or all, not {part!r}")
    return int(m.group(1)), int(m.group(2))


def run_name(part: str, base: str) -> str:
    """One GAN run's name: its folder under cgan/, its gate table's stem."""
    return f"{part}_{base}"


def with_part_columns(table, dataset: str, part: str):
    """``table`` with leading columns dataset, repeat and fold (``all`` for part ``all``), as
    every per-part table of the workflow starts."""
    repeat, fold = parse_part(part) or (ALL, ALL)
    for position, (column, value) in enumerate([("dataset", dataset), ("repeat", repeat), ("fold", fold)]):
        table.insert(position, column, value)
    return table


# ---------------------------------------------------------------------------------------- seeds
def fold_seed(seed: int, repeat: int, fold: int) -> int:
    """The seed every stage uses on one fold: its configured seed + 1000 * repeat + fold."""
    return int(seed) + 1000 * int(repeat) + int(fold)


def part_seed(seed: int, part: str) -> int:
    """:func:`fold_seed` of a part; ``all`` adds 999."""
    rf = parse_part(part)
    return int(seed) + ALL_OFFSET if rf is None else fold_seed(seed, *rf)


def top_up_seed(seed: int, class_code: int) -> int:
    """The generator draws that become training images (the top-up, the oversampler): far from
    the gate's draws of the same checkpoint, so that the images added are not the ones judged."""
    return int(seed) + 7919 * (int(class_code) + 1)


def gate_draw_seed(seed: int, class_code: int) -> int:
    """The generator draws the gate judges, one stream per class."""
    return int(seed) + int(class_code)


def quality_draw_seed(seed: int, class_code: int) -> int:
    """The generator draws the quality measures score (infantfer.quality), apart from the gate's
    and the top-up's."""
    return int(seed) + 104729 * (int(class_code) + 1)


# ---------------------------------------------------------------------------------- checkpoints
_CHECKPOINT = re.compile(r"^step_(\d{6,})\.pt$")


def checkpoint_name(step: int) -> str:
    return f"step_{int(step):06d}.pt"


def checkpoints_in(folder: str | Path) -> list[tuple[int, Path]]:
    """(step, path) of every checkpoint in ``folder``, by step ([] if there is no folder): the one
    place that reads a step from a checkpoint's name."""
    d = Path(folder)
    if not d.is_dir():
        return []
    return sorted((int(m.group(1)), p) for p in d.iterdir() if (m := _CHECKPOINT.match(p.name)))
