"""The stage: a dataset's manifest, one row per image, and reading and writing it."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from ..logs import Progress
from .describe import _describe, _sha256, stable_id
from ..errors import DataError
from ..groups import merge_duplicate_groups
from .layouts import list_images

# the stage's one logger: every line keeps the name infantfer.ingest
log = logging.getLogger(__package__)

MANIFEST_COLUMNS = ["id", "path", "label", "group", "width", "height", "mode", "sha256", "source"]


def check_label_conflicts(df: pd.DataFrame) -> None:
    conflicts = df.groupby("sha256")["label"].nunique()
    conflicts = conflicts[conflicts > 1]
    if len(conflicts):
        sha = conflicts.index[0]
        rows = df[df["sha256"] == sha]
        pairs = "; ".join(f"{s} labelled '{lab}'" for s, lab in zip(rows["source"], rows["label"]))
        raise DataError(
            f"{len(conflicts)} identical image(s) carry different labels, e.g. {pairs}. "
            "Fix: correct the label of one copy, or remove the duplicate."
        )


def ingest(ds: dict, image_dir: str | Path | None = None) -> pd.DataFrame:
    """The manifest of a dataset: one row per image with id, path, label, group, width, height,
    mode, sha256 and source."""
    df = list_images(ds, image_dir)
    log.info("dataset '%s' (%s): %d images, classes %s", ds["name"], ds["layout"], len(df), df["label"].value_counts().to_dict())
    progress = Progress(len(df), "ingest", log, unit="images")
    sizes, shas = [], []
    for path in df["path"]:
        shas.append(_sha256(path))
        sizes.append(_describe(path))
        progress.update()
    df["width"], df["height"], df["mode"] = zip(*sizes) if sizes else ([], [], [])
    df["sha256"] = shas
    df["id"] = [stable_id(ds["name"], s) for s in df["source"]]
    if df["id"].duplicated().any():
        raise DataError(f"dataset '{ds['name']}': the same source listed twice: {df.loc[df['id'].duplicated(), 'source'].tolist()[:3]}")
    check_label_conflicts(df)
    df["group"] = df["given_group"].where(df["given_group"] != "", "img:" + df["id"])
    merged = merge_duplicate_groups(df)
    n_dupes = int(df["sha256"].duplicated().sum())
    if n_dupes:
        log.warning("%d exact duplicate image(s): their groups were merged so no copy straddles train and test", n_dupes)
    df["group"] = merged
    return df[MANIFEST_COLUMNS]


def write_manifest(df: pd.DataFrame, path: str | Path) -> None:
    df.to_csv(path, sep="\t", index=False)


def read_manifest(path: str | Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype={"id": str, "label": str, "group": str, "sha256": str, "source": str, "path": str, "mode": str}, keep_default_na=False)
