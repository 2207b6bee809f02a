"""Listing a dataset's images, one function per layout, without reading pixels (``pixels_csv``
and ``demo`` write theirs as PNGs).

What a listing leaves out is counted at WARNING with examples and a reason (filtered rows, empty
class folders, unread formats, images outside any class folder, hidden folders, names that are not
UTF-8, FIFOs and broken symlinks: :mod:`.files`); only hidden files that are not named like images
are logged at INFO.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
from PIL import Image

from ..errors import ConfigError, DataError, _examples
from .files import IMAGE_EXTENSIONS, _class_folders, _drop_repeated_files, _images_under, _not_files, _refuse_outside
from .labels import check_labels, check_one_image_per_class, clean_labels
from .tables import _need_columns, _read_table, apply_filters

# the stage's one logger: every line keeps the name infantfer.ingest
log = logging.getLogger(__package__)

def _list_folders(ds: dict) -> pd.DataFrame:
    root = Path(ds["path"])
    rows, empty = [], []
    for folder in _class_folders(root):
        images = _images_under(folder)
        if not images:
            empty.append(folder.name)
        rows += [{"path": str(p), "label": folder.name, "given_group": "", "source": p.relative_to(root).as_posix()}
                 for p in images]
    if empty:
        log.warning("%s: %d class folder(s) hold no image and give no class: %s", root, len(empty), _examples(empty))
    df = pd.DataFrame(rows, columns=["path", "label", "given_group", "source"])
    df["label"] = clean_labels(df["label"], ds["name"], "folders")
    return apply_filters(df, ds.get("filters", {}), f"datasets.{ds['name']}.filters").reset_index(drop=True)


def _list_csv(ds: dict) -> pd.DataFrame:
    root, manifest = Path(ds["path"]), ds["manifest"]
    df = _read_table(manifest, ds.get("sep", ","), "manifest", ds["name"])
    file_col, label_col, group_col = ds.get("file_column", "file"), ds["label_column"], ds.get("group_column")
    _need_columns(df, {"file_column": file_col, "label_column": label_col, "group_column": group_col}, manifest)
    df[label_col] = clean_labels(df[label_col], ds["name"], f"labels in column '{label_col}' of {manifest}:")
    df = apply_filters(df, ds.get("filters", {}), str(manifest))
    df = _known_formats(df, file_col, manifest)
    paths = [root / f for f in df[file_col]]
    _not_files(paths, manifest, root)
    return pd.DataFrame(
        {
            "path": [str(p) for p in paths],
            "label": df[label_col].to_numpy(),
            "given_group": (df[group_col].str.strip() if group_col else pd.Series("", index=df.index)).to_numpy(),
            "source": df[file_col].to_numpy(),
        }
    )


def _known_formats(df: pd.DataFrame, file_col: str, manifest) -> pd.DataFrame:
    """The one rule of every layout: only files named like the formats read (IMAGE_EXTENSIONS);
    the rows of other files are skipped, counted in the log with examples."""
    known = df[file_col].map(lambda f: Path(str(f)).suffix.lower() in IMAGE_EXTENSIONS)
    if not known.all():
        log.warning("%s: %d row(s) name a file of a format not read (%s) and are skipped: %s. Fix: convert them "
                    "to PNG and name the PNGs in the manifest", manifest, int((~known).sum()),
                    ", ".join(sorted(IMAGE_EXTENSIONS)), _examples(df.loc[~known, file_col]))
    return df[known]


def _list_filename_fields(ds: dict) -> pd.DataFrame:
    root, pattern = Path(ds["path"]), re.compile(ds["pattern"])
    label_from = ds.get("label_from", "folders")
    if label_from == "folders":
        files = [(p, folder.name) for folder in _class_folders(root) for p in _images_under(folder)]
    else:
        files = [(p, "") for p in _images_under(root)]
    rows, unmatched = [], []
    for path, folder_label in files:
        m = pattern.search(path.name)
        if not m:
            unmatched.append(path.name)
            continue
        rows.append({"path": str(path), "label": folder_label, "source": path.relative_to(root).as_posix(), **m.groupdict()})
    if unmatched:
        log.warning("%d file name(s) do not match pattern and were skipped, e.g. %s", len(unmatched), unmatched[:3])
    df = pd.DataFrame(rows)
    if df.empty:
        raise DataError(f"{root}: no image file name matches pattern {pattern.pattern!r} (names e.g. "
                        f"{_examples(unmatched)}). Fix: correct datasets.{ds['name']}.pattern.")
    df = df.fillna("")
    if label_from == "folders":
        df["label"] = clean_labels(df["label"], ds["name"], "folders")
    if label_from == "manifest":
        table = _read_table(ds["manifest"], ds.get("sep", ","), "manifest", ds["name"])
        file_col = ds.get("file_column", "file")
        _need_columns(table, {"file_column": file_col, "label_column": ds["label_column"]}, ds["manifest"])
        labels = dict(zip(table[file_col], clean_labels(table[ds["label_column"]], ds["name"],
                                                         f"labels in {ds['manifest']}:")))
        df["label"] = [labels.get(s, labels.get(Path(s).name, "")) for s in df["source"]]
        unlabelled = int((df["label"] == "").sum())
        if unlabelled:
            log.warning("%d image(s) have no label in %s and were skipped", unlabelled, ds["manifest"])
        df = df[df["label"] != ""]
    elif label_from == "field":
        df["label"] = clean_labels(df[ds["label_field"]], ds["name"], f"values of field '{ds['label_field']}':")
    before = len(df)
    df = apply_filters(df, ds.get("filters", {}), f"datasets.{ds['name']}.filters")
    log.info("filters kept %d of %d images", len(df), before)
    group_col = ds.get("group_column")
    df["given_group"] = df[group_col] if group_col else ""
    return df[["path", "label", "given_group", "source"]].reset_index(drop=True)


def _list_pixels_csv(ds: dict, image_dir: Path) -> pd.DataFrame:
    csv = ds["path"]
    pixels_col, label_col, group_col = ds.get("pixels_column", "pixels"), ds["label_column"], ds.get("group_column")
    df = _read_table(csv, ds.get("sep", ","), "pixels CSV", ds["name"])
    _need_columns(df, {"pixels_column": pixels_col, "label_column": label_col, "group_column": group_col}, csv)
    df = apply_filters(df, ds.get("filters", {}), csv)
    names = {str(k): str(v) for k, v in ds["label_names"].items()}
    named = df[label_col].str.strip().isin(list(names))
    if (~named).any():
        log.warning("%s: %d row(s) with labels not in label_names skipped, labels e.g. %s", csv, int((~named).sum()),
                    _examples(sorted(set(df.loc[~named, label_col].str.strip()))))
    df = df[named]
    image_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for index, row in df.iterrows():
        line = int(index) + 2  # 1-based, after the header: what a user sees in an editor
        try:
            values = np.array(row[pixels_col].split(), dtype=np.int64)
        except ValueError as exc:
            raise DataError(f"{csv} line {line}: pixels are not space-separated integers ({exc}). Fix or drop that row.") from exc
        side = int(round(np.sqrt(values.size)))
        if side * side != values.size or values.size == 0 or values.min() < 0 or values.max() > 255:
            raise DataError(
                f"{csv} line {line}: {values.size} pixel values do not form a square 0-255 image. Fix or drop that row."
            )
        out = image_dir / f"line{line:07d}.png"
        Image.fromarray(values.reshape(side, side).astype(np.uint8), mode="L").save(out)
        rows.append(
            {
                "path": str(out.resolve()),
                "label": names[row[label_col].strip()],
                "given_group": row[group_col].strip() if group_col else "",
                "source": f"{Path(csv).name} line {line}",
            }
        )
    return pd.DataFrame(rows, columns=["path", "label", "given_group", "source"])


def _list_demo(ds: dict, image_dir: Path) -> pd.DataFrame:
    from ..demo import write_demo

    table = write_demo(image_dir, counts=ds.get("counts"), size=ds.get("size", 64), seed=ds.get("seed", 0))
    return pd.DataFrame(
        {
            "path": [str((image_dir / f).resolve()) for f in table["file"]],
            "label": table["label"].to_numpy(),
            "given_group": table["group"].to_numpy(),
            "source": [f"demo:{f}" for f in table["file"]],
        }
    )


# ------------------------------------------------------------------ checks before any job


def _require(ds: dict, key: str, fix: str) -> Any:
    if not ds.get(key):
        raise ConfigError(f"datasets.{ds['name']}.{key}", f"layout '{ds['layout']}' needs it", fix)
    return ds[key]


def _existing(path: str, key: str, kind: str, fix: str) -> Path:
    p = Path(path)
    ok = p.is_dir() if kind == "folder" else p.is_file()
    if not ok:
        raise ConfigError(key, f"{kind} '{path}' not found (from {Path.cwd()})", fix)
    return p


def _check_demo(ds: dict) -> None:
    from ..demo import DEFAULT_COUNTS, DEFAULT_SEED, DEFAULT_SIZE  # the demo's defaults live there only

    ds.setdefault("counts", dict(DEFAULT_COUNTS))
    ds.setdefault("size", DEFAULT_SIZE)
    ds.setdefault("seed", DEFAULT_SEED)


def _check_pixels_csv(ds: dict) -> None:
    _require(ds, "label_names", "map each integer label to a class name, e.g. {0: cry, 1: laugh}")


def _check_folders(ds: dict) -> None:
    for field in ds.get("filters", {}):
        if field != "label":
            raise ConfigError(f"datasets.{ds['name']}.filters.{field}", "the folders layout knows only each image's label",
                              "filter on label (e.g. filters: {label: [cry, laugh]}), or use layout csv")


def _check_manifest(ds: dict) -> None:
    """A manifest named relative to the dataset's folder (or absolute) becomes its path."""
    root = Path(ds["path"])
    manifest = _require(ds, "manifest", "give the CSV file with one row per image")
    mp = Path(manifest) if Path(manifest).is_absolute() else root / manifest
    if not mp.is_file() and Path(manifest).is_file():
        mp = Path(manifest)
    _existing(str(mp), f"datasets.{ds['name']}.manifest", "file", f"give the CSV's path, relative to {root} or absolute")
    ds["manifest"] = str(mp)


def _check_filename_fields(ds: dict) -> None:
    key = f"datasets.{ds['name']}"
    if ds.get("label_from") == "manifest":
        _check_manifest(ds)
    pattern = _require(ds, "pattern", "give a regex with named groups, e.g. '^(?P<age>\\d+)_'")
    try:
        groups = re.compile(pattern).groupindex
    except re.error as exc:
        raise ConfigError(f"{key}.pattern", f"not a regular expression ({exc})", "fix the regex") from exc
    if not groups:
        raise ConfigError(f"{key}.pattern", "has no named groups", "name the fields: (?P<age>\\d+)")
    if ds.get("label_from") == "field" and ds.get("label_field") not in groups:
        raise ConfigError(
            f"{key}.label_field",
            f"'{ds.get('label_field')}' is not a named group of pattern ({', '.join(groups)})",
            "set label_field to one of the pattern's named groups",
        )
    group_col = ds.get("group_column")
    if group_col and group_col not in groups:
        raise ConfigError(
            f"{key}.group_column",
            f"'{group_col}' is not a named group of pattern ({', '.join(groups)})",
            "name the subject or photo field in the pattern, e.g. (?P<subject>[^_]+)",
        )
    for field in ds.get("filters", {}):
        if field not in groups and field != "label" and ds.get("label_from") != "manifest":
            raise ConfigError(
                f"{key}.filters.{field}",
                f"not a named group of pattern ({', '.join(groups)})",
                "filter on one of the pattern's fields",
            )


# ------------------------------------------------------------------ the registry


@dataclass(frozen=True)
class Layout:
    """A way a dataset is laid out (``datasets.<name>.layout``).

    ``lister(ds, image_dir)``: the listing (path, label, given_group, source); ``path``: what the
    dataset's ``path`` names (``folder``, ``file``, or None where it has none); ``writes_images``:
    its images are written under ``results/<name>/images/`` by ingest (so nothing can be listed
    before ingest runs); ``label_column``: the default of ``label_column`` where it reads one;
    ``check(ds)``: its own checks before any job (raising :class:`ConfigError`), which may fill
    its defaults; ``package``: a package of its own that only its datasets run (the demo's drawing),
    whose code digest only their ingest jobs carry (:mod:`infantfer.code_digests`).

    Adding a layout: a lister and an entry here, and its name and keys in the schema.
    """

    name: str
    lister: Callable[[dict, Path | None], pd.DataFrame]
    path: str | None
    writes_images: bool = False
    label_column: str | None = None
    check: Callable[[dict], None] | None = None
    package: str | None = None


LAYOUTS: dict[str, Layout] = {layout.name: layout for layout in (
    Layout("folders", lambda ds, _: _list_folders(ds), path="folder", check=_check_folders),
    Layout("csv", lambda ds, _: _list_csv(ds), path="folder", label_column="label", check=_check_manifest),
    Layout("filename_fields", lambda ds, _: _list_filename_fields(ds), path="folder", label_column="label",
           check=_check_filename_fields),
    Layout("pixels_csv", _list_pixels_csv, path="file", writes_images=True, label_column="emotion",
           check=_check_pixels_csv),
    Layout("demo", _list_demo, path=None, writes_images=True, check=_check_demo, package="infantfer.demo"),
)}
# layouts whose images can be listed without writing anything (before any job runs)
LISTED_LAYOUTS = tuple(name for name, layout in LAYOUTS.items() if not layout.writes_images)
LOCATION_KEYS = ("path", "manifest")  # where a dataset lies, not what it holds (see docs/reruns.md)


def images_root(ds: dict, image_dir: str | Path | None) -> Path:
    """The folder the manifest's paths are relative to: the dataset's, or ``image_dir`` (the
    ``results/<name>/images/`` where ingest writes the images of a layout that draws or decodes them)."""
    if LAYOUTS[ds["layout"]].writes_images:
        if image_dir is None:
            raise ValueError(f"layout {ds['layout']} writes images: give image_dir")
        return Path(image_dir)
    return Path(ds["path"])


def check_layout(name: str, ds: dict) -> None:
    """The layout's checks before any job: the keys it needs, that its path exists, its own rules."""
    layout = LAYOUTS[ds["layout"]]
    if layout.label_column:
        ds.setdefault("label_column", layout.label_column)
    if layout.path:
        path = _require(ds, "path", "give the dataset's folder (or CSV file for pixels_csv)")
        fix = "point path at the FER-style CSV file" if layout.path == "file" else \
            "point path at the folder that holds the images"
        _existing(path, f"datasets.{name}.path", layout.path, fix)
    if layout.check:
        layout.check(ds)


def _empty_labels(df: pd.DataFrame, empty: pd.Series, ds: dict) -> str:
    """What to say of images without a label (an empty cell, from a spreadsheet): which, where, and
    the filter that skips them (its drops are counted in the ingest log)."""
    import json

    labels = json.dumps(sorted(set(df.loc[~empty, "label"].astype(str))))
    where = f" in {ds['manifest']}" if ds.get("manifest") else ""
    return (f"dataset '{ds['name']}': {int(empty.sum())} image(s) have an empty label{where}, e.g. "
            f"{_examples(df.loc[empty, 'source'])}. Fix: fill in their labels, or remove those rows; or, to skip "
            f"every image without a label, keep the labelled ones with a filter: datasets.{ds['name']}.filters: "
            f"{{label: {labels}}} (the ingest log counts what it drops).")


def list_images(ds: dict, image_dir: str | Path | None = None) -> pd.DataFrame:
    """Path, label, given_group and source of every image of a dataset, without reading pixels.

    ``image_dir`` is where ``pixels_csv`` and ``demo`` write their images.
    """
    layout = LAYOUTS[ds["layout"]]
    if layout.writes_images:
        if image_dir is None:
            raise ValueError(f"layout {layout.name} writes images: give image_dir")
        df = layout.lister(ds, Path(image_dir))
    else:
        df = layout.lister(ds, None)
        if not df.empty:
            _refuse_outside(df, ds)
            df = _drop_repeated_files(df, ds)
    if df.empty:
        raise DataError(f"dataset '{ds['name']}' ({ds.get('path', layout.name)}): no images found. Fix: check its path "
                        "and filters.")
    empty_label = df["label"].astype(str).str.strip() == ""
    if empty_label.any():
        raise DataError(_empty_labels(df, empty_label, ds))
    check_one_image_per_class(df, ds)
    check_labels(df["label"], ds["name"])
    return df.reset_index(drop=True)
