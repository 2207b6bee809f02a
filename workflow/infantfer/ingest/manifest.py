"""The stage: a dataset's manifest, one row per image, and reading and writing it."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pandas as pd

from ..logs import Progress
from .describe import _describe, _sha256, stable_id
from ..errors import DataError, _examples
from ..groups import merge_duplicate_groups
from .layouts import images_root, list_images

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


def relative_paths(paths: pd.Series, root: Path) -> pd.Series:
    """Paths relative to the dataset's folder (posix), as a user shares them; an image outside it
    (``allow_outside_root``) keeps its absolute path."""
    base = Path(os.path.abspath(root)).resolve()

    def relative(path: str) -> str:
        full = Path(os.path.abspath(path))
        for candidate in (full, full.resolve()):
            if candidate.is_relative_to(base):
                return candidate.relative_to(base).as_posix()
        return str(full)

    return paths.map(relative)


def ingest(ds: dict, image_dir: str | Path | None = None) -> pd.DataFrame:
    """The manifest of a dataset: one row per image with id, path (relative to the dataset's
    folder, :func:`~infantfer.ingest.layouts.images_root`), label, group, width, height, mode,
    sha256 and source."""
    df = list_images(ds, image_dir)
    df["path"] = relative_paths(df["path"], images_root(ds, image_dir))
    root = images_root(ds, image_dir)
    log.info("dataset '%s' (%s): %d images, classes %s", ds["name"], ds["layout"], len(df), df["label"].value_counts().to_dict())
    progress = Progress(len(df), "ingest", log, unit="images")
    sizes, shas, frames = [], [], []
    for path in df["path"]:
        shas.append(_sha256(root / path))
        *size, n_frames = _describe(root / path, shown_as=path)
        sizes.append(tuple(size))
        if n_frames > 1:
            frames.append(f"{path} ({n_frames} frames)")
        progress.update()
    if frames:
        log.warning("dataset '%s': %d image(s) hold several frames (a multi-page TIFF, an animated GIF or PNG): only "
                    "the first frame is read, e.g. %s. Fix: if another frame is the face, save it as an image of "
                    "its own", ds["name"], len(frames), _examples(frames))
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
    manifest = df[MANIFEST_COLUMNS].copy()
    manifest.attrs["root"] = str(root)  # where the paths start: extract_faces' default root
    return manifest


def write_manifest(df: pd.DataFrame, path: str | Path) -> None:
    df.to_csv(path, sep="\t", index=False)


def read_manifest(path: str | Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype={"id": str, "label": str, "group": str, "sha256": str, "source": str, "path": str, "mode": str}, keep_default_na=False)
