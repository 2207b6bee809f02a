"""Label checks: labels are trimmed of spaces and read in Unicode NFC (:func:`clean_labels`, which
warns when two spellings become one label), then kept verbatim; file names are never built from
them (see :func:`infantfer.io.path_part`), and two that would share one are an error. A label with
invisible or control characters is refused, printed with them escaped; a dataset of one image per
class (label_column naming the file column) is one error, not a warning per pair of labels."""

from __future__ import annotations

import logging
import unicodedata
from pathlib import PurePath

import pandas as pd

from ..io.filenames import path_part
from ..errors import DataError, _examples, code_points, shown

# the stage's one logger: every line keeps the name infantfer.ingest
log = logging.getLogger(__package__)

MAX_LOOK_ALIKE_LINES = 5  # look-alike pairs warned one by one; the rest are counted


def clean_labels(raw: pd.Series, dataset: str, where: str) -> pd.Series:
    """Labels trimmed of spaces and in NFC. Two spellings that become one label (folders ``cry``
    and `` cry``; ``café`` typed in NFC and NFD) are warned about, naming both by code points.
    ``where``: what the labels come from (``folders``, ``column 'label' of labels.csv``)."""
    raw = raw.astype(str)
    clean = raw.map(lambda s: unicodedata.normalize("NFC", s.strip()))
    spellings = pd.DataFrame({"raw": raw, "clean": clean}).groupby("clean")["raw"].value_counts()
    for label, group in spellings.groupby(level=0):
        if len(group) < 2:
            continue
        named = " and ".join(f"'{code_points(r)}' ({n} image(s))" for (_, r), n in group.items())
        nfc = any(unicodedata.normalize("NFC", r) != r for (_, r), _n in group.items())
        how = "trimmed of spaces and read in Unicode NFC" if nfc else "trimmed of spaces"
        log.warning("dataset '%s': %s %s are one label, '%s', once %s: their images are one class. Fix: if they "
                    "are two classes, rename one; if one, give them one spelling.", dataset, where, named,
                    code_points(label), how)
    return clean


def _invisible(label: str) -> list[str]:
    """The invisible and control characters of a label (a plain space is visible)."""
    return sorted({ch for ch in label if not ch.isprintable()})


def _refuse_invisible(counts: pd.Series, dataset: str) -> None:
    bad = [label for label in counts.index if _invisible(label)]
    if bad:
        label = bad[0]
        chars = ", ".join(f"U+{ord(c):04X} ({unicodedata.name(c, 'a control character')})" for c in _invisible(label))
        raise DataError(
            f"dataset '{dataset}': label '{shown(label)}' ({counts[label]} image(s)) holds invisible or control "
            f"character(s) {chars}" + (f"; {len(bad) - 1} more label(s) too: {_examples(bad[1:])}" if len(bad) > 1 else "")
            + ". Such a label prints like another one and its raw bytes would reach the console and logs. Fix: "
            "rename the class folder, or correct the label in the manifest, without them."
        )


def check_one_image_per_class(df: pd.DataFrame, ds: dict) -> None:
    """One message when most classes hold one image (labels read from file names or ids, e.g.
    label_column naming the file column), before a warning per look-alike pair and a fold error
    naming every class."""
    counts = df["label"].value_counts()
    singles = int((counts == 1).sum())
    if len(counts) < 10 or singles < len(counts) / 2:
        return
    name, key = ds["name"], {"csv": "label_column", "filename_fields": "label_field"}.get(ds["layout"])
    names = {str(s) for s in df["source"]} | {PurePath(str(s)).name for s in df["source"]}
    like_files = df["label"].isin(names).mean() > 0.5
    column = ds.get(key, "") if key else ""
    what = (f"{key} '{column}' looks like the file column" if like_files and key
            else f"the labels look like {'file names' if like_files else 'ids'}, not classes")
    fix = (f"set datasets.{name}.{key} to the column or field that holds each image's class" if key
           else "put each class's images in one folder named after the class")
    raise DataError(f"dataset '{name}': {len(counts)} classes, {singles} of them of one image each (e.g. "
                    f"{_examples(counts.index)}): {what}. Fix: {fix}.")


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
    """Labels with invisible or control characters are an error; labels stay verbatim in tables, but
    two that become the same file-name part (ignoring case, as macOS and Windows folders do) are an
    error, and near matches (``Cry``/``cry``, ``cyr``/``cry``) a warning naming both."""
    counts = pd.Series(list(labels), dtype=str).value_counts()
    _refuse_invisible(counts, dataset)
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
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:] if _look_alike(a, b)]
    for a, b in pairs[:MAX_LOOK_ALIKE_LINES]:
        log.warning("dataset '%s': labels '%s' (%d images) and '%s' (%d images) look alike: a typo "
                    "makes a new class", dataset, a, counts[a], b, counts[b])
    if len(pairs) > MAX_LOOK_ALIKE_LINES:
        log.warning("dataset '%s': %d more pairs of labels look alike", dataset, len(pairs) - MAX_LOOK_ALIKE_LINES)


def label_filter_key(ds: dict) -> str | None:
    """The ``filters`` key that selects classes by their label in this layout, or None (pixels_csv
    filters see the integer codes before label_names maps them)."""
    if ds["layout"] in ("folders", "filename_fields"):
        return "label"
    if ds["layout"] == "csv":
        return ds["label_column"]
    return None
