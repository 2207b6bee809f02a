"""Finding a dataset's image files, and the one rule for every path.

Images are read only from inside the dataset's folder, after resolving symlinks (a manifest row, a
file or a class folder that points elsewhere is refused, naming it, unless the dataset sets
``allow_outside_root: true``); the manifest and a ``pixels_csv`` file may sit anywhere the config
says. The same file listed twice (``cry/a.png``, ``./cry/a.png``) counts once.

What a folder holds besides images is skipped, and every skip is logged with its reason and fix
(:class:`Skips`): hidden files and folders (names starting with a dot: ``...`` too), names that are
not UTF-8, symlinked sub-folders (never followed: they could loop), dangling symlinks, symlink loops,
FIFOs, sockets and devices (never opened: reading a FIFO would wait forever).
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from pathlib import Path

import pandas as pd

from ..errors import DataError, _examples, undecodable

# the stage's one logger: every line keeps the name infantfer.ingest
log = logging.getLogger(__package__)

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"}

# why an entry is skipped -> the fix a user can apply ({root}: the dataset's folder)
SKIP_FIXES = {
    "hidden (its name starts with a dot)": "rename it without the leading dot if it holds images to read",
    "not UTF-8 (a name from an old camera or a Windows share)":
        "rename it in UTF-8, e.g. `convmv -f latin1 -t utf8 -r --notest {root}`",
    "a symlinked folder (never followed: it could loop)": "move or copy the folder itself there",
    "a dangling symlink (its target does not exist)": "restore its target or delete the link",
    "a symlink loop": "delete the link",
    "not a regular file (a FIFO, socket or device: never opened)": "remove it from the dataset's folder",
    "not readable": "check its permissions",
}
HIDDEN, NOT_UTF8, LINKED_FOLDER, DANGLING, LOOP, SPECIAL, NO_ACCESS = SKIP_FIXES
MISSING = "missing"  # a manifest row's file that is not there (an error, not a skip)


class Skips:
    """What a listing leaves out, by reason; :meth:`log` writes one line per reason, with examples
    (printable: a name that is not UTF-8 shows its bytes as ``\\xe9``) and the fix."""

    def __init__(self, root: Path):
        self.root, self.by_reason = Path(root), {}

    def add(self, reason: str, path: Path) -> None:
        self.by_reason.setdefault(reason, []).append(path)

    def log(self, where: Path) -> None:
        for reason, paths in self.by_reason.items():
            names = [p.relative_to(self.root).as_posix() if p.is_relative_to(self.root) else str(p) for p in paths]
            # hidden files beside images (.DS_Store, Thumbs caches) are common and harmless: INFO
            level = logging.INFO if reason == HIDDEN and not any(_looks_like_content(p) for p in paths) \
                else logging.WARNING
            log.log(level, "%s: %d entr%s skipped, %s: %s. Fix: %s.", where, len(paths), "y" if len(paths) == 1 else "ies",
                    reason, _examples(f"'{n}'" for n in names), SKIP_FIXES[reason].format(root=self.root))
        self.by_reason = {}


def _looks_like_content(path: Path) -> bool:
    """A hidden folder, or a hidden file named like an image: something a user may have meant."""
    return path.suffix.lower() in IMAGE_EXTENSIONS or path.is_dir()


def _kind(path: Path) -> str:
    """"file" or "folder" (symlinks followed), else why the entry is skipped. Nothing is opened."""
    try:
        mode = path.stat().st_mode
    except OSError as err:
        if err.errno == errno.ELOOP:
            return LOOP
        if err.errno == errno.ENOENT:
            return DANGLING if path.is_symlink() else MISSING
        return NO_ACCESS
    if stat.S_ISDIR(mode):
        return "folder"
    return "file" if stat.S_ISREG(mode) else SPECIAL


def _entries(folder: Path, skips: Skips) -> list[tuple[Path, str]]:
    """(path, "file" or "folder") of what ``folder`` holds, by name; the rest goes to ``skips``."""
    kept = []
    for name in sorted(os.listdir(folder)):
        path = folder / name
        kind = HIDDEN if name.startswith(".") else NOT_UTF8 if undecodable(name) else _kind(path)
        if kind == MISSING:  # removed while being listed
            continue
        if kind not in ("file", "folder"):
            skips.add(kind, path)
        else:
            kept.append((path, kind))
    return kept


def _files_under(folder: Path, skips: Skips) -> list[Path]:
    """Every regular file under ``folder``, by path; symlinked sub-folders are skipped, not followed."""
    files = []
    for path, kind in _entries(folder, skips):
        if kind == "file":
            files.append(path)
        elif path.is_symlink():
            skips.add(LINKED_FOLDER, path)
        else:
            files += _files_under(path, skips)
    return files


def _images_under(folder: Path) -> list[Path]:
    skips = Skips(folder)
    files = _files_under(folder, skips)
    skips.log(folder)
    images = [p for p in files if p.suffix.lower() in IMAGE_EXTENSIONS]
    ignored = [p for p in files if p.suffix.lower() not in IMAGE_EXTENSIONS]
    if ignored:
        log.warning("%s: %d file(s) of a format not read (%s) ignored: %s", folder, len(ignored),
                    ", ".join(sorted(IMAGE_EXTENSIONS)), _examples(p.name for p in ignored))
    return images


def _class_folders(root: Path) -> list[Path]:
    """The class folders of ``root`` (symlinked ones too: the path rule checks where they lead);
    images outside any folder are warned about (they have no label), other entries skipped."""
    skips = Skips(root)
    entries = _entries(root, skips)
    skips.log(root)
    folders = [p for p, kind in entries if kind == "folder"]
    loose = [p.name for p, kind in entries if kind == "file" and p.suffix.lower() in IMAGE_EXTENSIONS]
    if loose:
        log.warning("%s: %d image(s) outside any class folder ignored (no label): %s", root, len(loose), _examples(loose))
    if not folders:
        raise DataError(
            f"{root}: no class folders found. Fix: put each class's images in {root}/<label>/, "
            "or use layout csv with a manifest."
        )
    return folders


def _not_files(paths: list[Path], manifest, root: Path) -> None:
    """Stop, naming them, when rows of a manifest name no regular file: missing, a folder, a FIFO
    (never opened), a dangling symlink or a loop."""
    kinds = {p: _kind(p) for p in paths}
    missing = [str(p) for p, k in kinds.items() if k == MISSING]
    other = [f"{p}: {'a folder' if k == 'folder' else k}" for p, k in kinds.items() if k not in ("file", MISSING)]
    if not missing and not other:
        return
    parts = ([f"{len(missing)} listed file(s) do not exist, e.g. {missing[:3]}"] if missing else []) + \
        ([f"{len(other)} listed path(s) are not image files, e.g. {_examples(other)}"] if other else [])
    raise DataError(
        f"{manifest}: " + "; ".join(parts) + f". Fix: file paths must be relative to the dataset's path ({root}) "
        "and name regular files; correct or remove those rows."
    )


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
