"""Stage 3, split: repeated stratified folds, grouped when groups exist.

Only images that survived the faces stage are split. Test folds hold real images only, always:
resampled and generated images are made later, from the training side of a fold.

StratifiedGroupKFold is used when any group holds more than one image (a subject column, or exact
duplicates merged at ingest); StratifiedKFold otherwise. Repeat r shuffles with ``seed + r``, so a
repeat's folds do not depend on how many repeats there are: the workflow splits each repeat in its
own job, and adding a repeat leaves the earlier ones' files, GANs and evaluations as they are.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from .errors import DataError
from .groups import check_enough_groups, join_groups, merge_duplicate_groups
from .parts import parse_part

log = logging.getLogger(__name__)

FOLD_COLUMNS = ["id", "sha256", "label", "group", "repeat", "fold", "role"]


class LeakageError(AssertionError):
    """A group or an image's sha256 on both sides of one fold."""


def make_folds(images: pd.DataFrame, folds: int, repeats: int | Iterable[int], seed: int, dataset: str = "dataset",
               expected_classes: list[str] | None = None, label_key: str | None = "label") -> pd.DataFrame:
    """One row per image x repeat x fold: id, sha256, label, group, repeat, fold, role.

    ``repeats`` is a count (repeats 0 .. n-1) or the repeat numbers to make (``[2]``: the third
    repeat alone, the same rows as in the table of every repeat).

    ``images`` needs columns id, sha256, label, group (one row per image), and may have
    ``crop_sha256``, a hash of the face crop: images whose crops are identical (the same photo
    saved twice in other formats, say) then share a group too. ``expected_classes`` (the
    manifest's) makes a class that lost every image at the faces stage an error, not a silence.
    ``label_key``: the dataset's filters key that selects labels (:func:`infantfer.ingest.label_filter_key`),
    which the fixes of these errors name.
    """
    images = images.reset_index(drop=True)
    _check_classes_left(images, expected_classes, dataset, label_key)
    if "crop_sha256" in images.columns:
        before = images["group"].nunique()
        images["group"] = merge_duplicate_groups(images, by="crop_sha256")
        if images["group"].nunique() < before:
            log.warning("%s: identical face crops from different files: %d group(s) merged so they stay on one side",
                        dataset, before - images["group"].nunique())
    group_sizes = images.groupby("group")["id"].transform("size")
    grouped = bool((group_sizes > 1).any())
    counts = images.groupby("label")["group"].nunique()
    check_enough_groups(counts, folds, dataset, label_key)
    repeat_numbers = list(range(repeats)) if isinstance(repeats, int) else [int(r) for r in repeats]
    log.info(
        "%s: %d images, %d groups, %s; %s %s of %d folds",
        dataset, len(images), images["group"].nunique(),
        "StratifiedGroupKFold" if grouped else "StratifiedKFold (every image its own group)",
        "repeat" if len(repeat_numbers) == 1 else "repeats", ", ".join(map(str, repeat_numbers)), folds,
    )
    result = pd.concat(_fold_tables(images, folds, repeat_numbers, seed, grouped), ignore_index=True)[FOLD_COLUMNS]
    check_no_leakage(result)
    _warn_missing_test_classes(result)
    return result


def _check_classes_left(images: pd.DataFrame, expected_classes: list[str] | None, dataset: str,
                        label_key: str | None) -> None:
    """Stop, with each status's fix, when a class lost every image at the faces stage or fewer than
    two classes are left."""
    lost = sorted(set(expected_classes or []) - set(images["label"]))
    if lost or images["label"].nunique() < 2:
        # each status of faces_report.tsv has its own fix: a detector setting brings back no face, not a
        # file over ingest.max_pixels nor an unreadable one
        kept = sorted(set(images["label"]))
        drop = (f", or drop the class with datasets.{dataset}.filters: {{{json.dumps(label_key)}: "
                f"[{', '.join(json.dumps(k) for k in kept)}]}}") if lost and len(kept) >= 2 and label_key else ""
        raise DataError(
            f"dataset '{dataset}': after the faces stage {len(images)} image(s) of "
            f"{images['label'].nunique()} class(es) are left" + (f"; class(es) {lost} lost every image" if lost else "")
            + f". Fix: look up the status of its images in results/{dataset}/faces_report.tsv: no_face: try "
            "faces.detector: blazeface (or none for pre-cropped faces), or faces.on_no_face: keep_whole; too_large: "
            f"raise datasets.{dataset}.ingest.max_pixels to the pixels its reason gives; unreadable, too_small or "
            f"constant: replace those files{drop}."
        )


def _fold_tables(images: pd.DataFrame, folds: int, repeat_numbers: list[int], seed: int,
                 grouped: bool) -> list[pd.DataFrame]:
    """One table per repeat x fold: the images with their repeat, fold and role (train or test)."""
    # imported here: scikit-learn takes ~3 s to import, and the GAN jobs that read folds need none of it
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    y = images["label"].to_numpy()
    tables = []
    for repeat in repeat_numbers:
        if grouped:
            splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed + repeat)
            splits = splitter.split(np.zeros(len(y)), y, images["group"].to_numpy())
        else:
            splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed + repeat)
            splits = splitter.split(np.zeros(len(y)), y)
        for fold, (train, test) in enumerate(splits):
            role = np.full(len(images), "train", dtype=object)
            role[test] = "test"
            table = images[["id", "sha256", "label", "group"]].copy()
            table["repeat"], table["fold"], table["role"] = repeat, fold, role
            tables.append(table)
    return tables


def near_duplicate_pairs(x: np.ndarray, groups, min_correlation: float, block: int = 2048) -> pd.DataFrame:
    """Pairs of face crops from different groups whose pixels correlate at ``min_correlation`` or
    more: probably one photo saved twice (resized, re-compressed, brightened, re-cropped), which
    exact hashes miss. Columns a, b (positions in ``x``) and correlation, highest first. Computed
    in blocks of rows (float32), so 36,000 images need ~0.3 GB, not the 10 GB of the full matrix."""
    flat = np.asarray(x, dtype=np.float32).reshape(len(x), -1)
    flat = flat - flat.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(flat, axis=1, keepdims=True)
    flat = np.divide(flat, norms, out=np.zeros_like(flat), where=norms > 0)  # a flat crop correlates with nothing
    codes = pd.factorize(pd.Series(np.asarray(groups)).astype(str))[0]
    found_a, found_b, found_c = [], [], []
    for start in range(0, len(flat), block):
        corr = flat[start:start + block] @ flat.T
        rows = np.arange(start, start + len(corr))
        hit = (corr >= min_correlation) & (rows[:, None] < np.arange(len(flat))[None, :]) \
            & (codes[rows][:, None] != codes[None, :])
        a, b = np.nonzero(hit)
        found_a.append(rows[a])
        found_b.append(b)
        found_c.append(corr[a, b].astype(np.float64))
    pairs = pd.DataFrame({"a": np.concatenate(found_a or [np.zeros(0, int)]),
                          "b": np.concatenate(found_b or [np.zeros(0, int)]),
                          "correlation": np.concatenate(found_c or [np.zeros(0)])})
    return pairs.sort_values(["correlation", "a", "b"], ascending=[False, True, True], kind="stable").reset_index(drop=True)


def merge_pair_groups(groups, pairs: pd.DataFrame) -> np.ndarray:
    """Groups after joining the two groups of every pair (positions a, b)."""
    groups = np.asarray(groups, dtype=object)
    return np.array(join_groups(groups, zip(groups[pairs["a"]], groups[pairs["b"]])), dtype=object)


def handle_near_duplicates(x: np.ndarray, groups, action: str, min_correlation: float, names=None) -> np.ndarray:
    """``split.near_duplicates``: warn about near-duplicate pairs across groups (naming them by
    ``names``, e.g. the manifest's sources), merge their groups, or ignore them. Returns the groups."""
    groups = np.asarray(groups, dtype=object)
    if action == "ignore" or len(groups) < 2:  # no pair (and no face at all: make_folds says so)
        return groups
    pairs = near_duplicate_pairs(x, groups, min_correlation)
    if pairs.empty:
        return groups
    names = np.asarray(names if names is not None else np.arange(len(groups)).astype(str))
    examples = "; ".join(f"{names[a]} ~ {names[b]} ({c:.3f})" for a, b, c in pairs.head(5).itertuples(index=False))
    what = ("their groups were merged (split.near_duplicates: merge)" if action == "merge" else
            "they may sit on both sides of a fold: set split.near_duplicates: merge to keep each pair together")
    log.warning("%d pair(s) of face crops from different groups correlate at >= %.2f, probably one photo saved twice; "
                "%s. E.g. %s", len(pairs), min_correlation, what, examples)
    return merge_pair_groups(groups, pairs) if action == "merge" else groups


def check_no_leakage(folds: pd.DataFrame) -> None:
    """Assert that no group and no sha256 appears in both train and test of one fold."""
    for (repeat, fold), table in folds.groupby(["repeat", "fold"]):
        train, test = table[table["role"] == "train"], table[table["role"] == "test"]
        for column in ("group", "sha256"):
            shared = set(train[column]) & set(test[column])
            if shared:
                raise LeakageError(
                    f"repeat {repeat} fold {fold}: {len(shared)} {column}(s) in both train and test, e.g. {sorted(shared)[:3]}"
                )


def _warn_missing_test_classes(folds: pd.DataFrame) -> None:
    classes = set(folds["label"])
    for (repeat, fold), table in folds[folds["role"] == "test"].groupby(["repeat", "fold"]):
        missing = classes - set(table["label"])
        if missing:
            log.warning("repeat %d fold %d: no test image of class(es) %s; their metrics will be NaN", repeat, fold, sorted(missing))


def fold_indices(folds: pd.DataFrame, ids: np.ndarray, repeat: int, fold: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions in ``ids`` (the faces arrays' order) of the train and test images of one fold."""
    table = folds[(folds["repeat"] == repeat) & (folds["fold"] == fold)]
    if table.empty:
        raise DataError(f"no repeat {repeat} fold {fold} in folds table")
    position = pd.Series(np.arange(len(ids)), index=pd.Index(ids))
    train = position[table.loc[table["role"] == "train", "id"]].to_numpy()
    test = position[table.loc[table["role"] == "test", "id"]].to_numpy()
    return np.sort(train), np.sort(test)


def read_folds(path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype={"id": str, "sha256": str, "label": str, "group": str}, keep_default_na=False)


def part_indices(folds: pd.DataFrame | None, ids: np.ndarray, part: str) -> tuple[np.ndarray, np.ndarray]:
    """Train and test positions of a part: ``r{repeat}_f{fold}``, or ``all`` (every image trains,
    nothing is tested: the balanced set users take home; it needs no folds table)."""
    rf = parse_part(part)
    if rf is None:
        return np.arange(len(ids)), np.array([], dtype=int)
    if folds is None:
        raise DataError(f"part {part} needs its repeat's folds table")
    return fold_indices(folds, ids, *rf)


def collect_folds(paths: list, out) -> pd.DataFrame:
    """Every repeat's folds table (``paths``, repeat by repeat) as one table at ``out``."""
    from .io.tsv import concat_tsv

    return concat_tsv(paths, out)
