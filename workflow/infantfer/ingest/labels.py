"""Label checks: labels are trimmed of spaces, then kept verbatim; file names are never built from
them (see :func:`infantfer.io.path_part`), and two that would share one are an error."""

from __future__ import annotations

import logging

import pandas as pd

from ..io import path_part
from ..errors import DataError

# the stage's one logger: every line keeps the name infantfer.ingest
log = logging.getLogger(__package__)


def _look_alike(a: str, b: str) -> bool:
    """Equal but for case, or (3+ characters, not numbers) one typo apart: a letter swapped with its
    neighbour, replaced, added or missing."""
    a, b = a.casefold(), b.casefold()
    if a == b:
        return True
    if min(len(a), len(b)) < 3 or (a.isdigit() and b.isdigit()) or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
                                  and a[diff[1]] == b[diff[0]])
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def check_labels(labels, dataset: str) -> None:
    """Labels stay verbatim in tables, but two that become the same file-name part (ignoring case,
    as macOS and Windows folders do) are an error,
    and near matches (``Cry``/``cry``, ``cyr``/``cry``) a warning naming both."""
    counts = pd.Series(list(labels), dtype=str).value_counts()
    by_part: dict[str, list[str]] = {}
    for label in counts.index:  # casefolded: macOS and Windows folders ignore case
        by_part.setdefault(path_part(label).casefold(), []).append(label)
    clashes = {part: names for part, names in by_part.items() if len(names) > 1}
    if clashes:
        part, names = next(iter(clashes.items()))
        raise DataError(
            f"dataset '{dataset}': labels {' and '.join(repr(n) for n in names)} would share the file-name part "
            f"'{part}' in results/. Fix: rename one of them, or merge them if they are one class."
        )
    names = list(counts.index)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if _look_alike(a, b):
                log.warning("dataset '%s': labels '%s' (%d images) and '%s' (%d images) look alike: a typo "
                            "makes a new class", dataset, a, counts[a], b, counts[b])


def label_filter_key(ds: dict) -> str | None:
    """The ``filters`` key that selects classes by their label in this layout, or None (pixels_csv
    filters see the integer codes before label_names maps them)."""
    if ds["layout"] in ("folders", "filename_fields"):
        return "label"
    if ds["layout"] == "csv":
        return ds["label_column"]
    return None
