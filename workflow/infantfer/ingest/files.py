"""Finding a dataset's image files, and the one rule for every path.

Images are read only from inside the dataset's folder, after resolving symlinks (a manifest row, a
file or a class folder that points elsewhere is refused, naming it, unless the dataset sets
``allow_outside_root: true``); the manifest and a ``pixels_csv`` file may sit anywhere the config
says. The same file listed twice (``cry/a.png``, ``./cry/a.png``) counts once. Hidden files and
folders (names starting with a dot) are skipped by design.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from ..errors import DataError, _examples

# the stage's one logger: every line keeps the name infantfer.ingest
log = logging.getLogger(__package__)

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"}


def _images_under(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    images = [p for p in files if p.suffix.lower() in IMAGE_EXTENSIONS]
    ignored = [p for p in files if p.suffix.lower() not in IMAGE_EXTENSIONS]
    if ignored:
        log.warning("%s: %d file(s) of a format not read (%s) ignored: %s", folder, len(ignored),
                    ", ".join(sorted(IMAGE_EXTENSIONS)), _examples(p.name for p in ignored))
    return images


def _class_folders(root: Path) -> list[Path]:
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise DataError(
            f"{root}: no class folders found. Fix: put each class's images in {root}/<label>/, "
            "or use layout csv with a manifest."
        )
    return folders


def _outside(path: Path, root: Path) -> bool:
    """Whether ``path``, symlinks resolved, lies outside the resolved ``root``."""
    return not path.resolve().is_relative_to(root.resolve())


def _refuse_outside(df: pd.DataFrame, ds: dict) -> None:
    """The one path rule: every image inside the dataset's folder, unless allow_outside_root."""
    root = Path(ds["path"])
    outside = [src for src, path in zip(df["source"], df["path"]) if _outside(Path(path), root)]
    if not outside:
        return
    key = f"datasets.{ds['name']}.allow_outside_root"
    if ds.get("allow_outside_root"):
        log.warning("dataset '%s': %d image(s) outside %s read because %s is true, e.g. %s",
                    ds["name"], len(outside), root, key, _examples(outside))
        return
    raise DataError(
        f"dataset '{ds['name']}': {len(outside)} image(s) lie outside the dataset's folder {root} "
        f"(symlinks resolved), e.g. {_examples(outside)}. Fix: move or copy them under {root}, or, if "
        f"reading them there is intended, set {key}: true."
    )


def _drop_repeated_files(df: pd.DataFrame, ds: dict) -> pd.DataFrame:
    """One row per file: ``cry/a.png``, ``./cry/a.png`` and ``cry//a.png`` are one image. The same
    file under two labels is an error."""
    resolved = df["path"].map(lambda p: str(Path(p).resolve()))
    labels = df.groupby(resolved)["label"].nunique()
    if (labels > 1).any():
        path = labels[labels > 1].index[0]
        rows = df[resolved == path]
        raise DataError(
            f"dataset '{ds['name']}': one file is listed under {rows['label'].nunique()} labels: "
            + "; ".join(f"{s} labelled '{lab}'" for s, lab in zip(rows["source"], rows["label"]))
            + ". Fix: keep the row with the right label."
        )
    repeated = resolved.duplicated()
    if repeated.any():
        log.warning("dataset '%s': %d row(s) list a file already listed, and count once: %s", ds["name"],
                    int(repeated.sum()), _examples(df.loc[repeated, "source"]))
    return df.loc[~repeated].assign(path=resolved[~repeated])
