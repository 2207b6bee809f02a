"""Stage 1, ingest: read a dataset in any supported layout and record every image.

Layouts (``datasets.<name>.layout``):

- ``folders``: ``path/<label>/*.{jpg,jpeg,png,bmp,tif}``.
- ``csv``: ``path`` + ``manifest`` with ``file_column``, ``label_column``, optional ``group_column``
  and ``filters``.
- ``filename_fields``: fields parsed from file names by a regex with named groups (UTKFace style),
  filters on them (``age: {max: 2}`` keeps infants); labels from class folders, a manifest or a field.
- ``pixels_csv``: a FER2013-style CSV of space-separated grey pixels with an integer label column
  and ``label_names``; each row is written out as a lossless PNG so later stages see files only.
- ``demo``: the built-in synthetic demo (:mod:`infantfer.demo`), written out as PNGs.

Every image gets a stable ``id`` (from the dataset name and the image's source, so it survives
reruns and added files), its label, and a group. Groups keep related images on one side of every
fold: an image without a group value is its own group, and exact duplicates (same sha256) are
merged into one group so they can never straddle train and test. One sha256 under two labels is an
error naming both files.

One rule for every path: images are read only from inside the dataset's folder, after resolving
symlinks (a manifest row, a file or a class folder that points elsewhere is refused, naming it,
unless the dataset sets ``allow_outside_root: true``); the manifest and a ``pixels_csv`` file may sit
anywhere the config says. The same file listed twice (``cry/a.png``, ``./cry/a.png``) counts once.
Labels are trimmed of spaces, then kept verbatim; file names are never built from them (see
:func:`infantfer.io.path_part`). What a listing leaves out is counted at WARNING with examples
(filtered rows, empty class folders, unread formats, images outside any class folder), except
hidden files and folders (names starting with a dot), which are skipped by design.
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, UnidentifiedImageError

from .io import path_part
from .logs import Progress

log = logging.getLogger(__name__)

# layouts whose images can be listed without writing anything (pixels_csv and demo write theirs)
LISTED_LAYOUTS = ("folders", "csv", "filename_fields")
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"}
MANIFEST_COLUMNS = ["id", "path", "label", "group", "width", "height", "mode", "sha256", "source"]


class DataError(ValueError):
    """A problem with the data itself, naming the files involved and the fix."""


# ---------------------------------------------------------------- listing, per layout


def _examples(items, n: int = 3) -> str:
    items = [str(i) for i in items]
    return ", ".join(items[:n]) + (f" (and {len(items) - n} more)" if len(items) > n else "")


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


def _read_table(path: str | Path, sep: str, what: str) -> pd.DataFrame:
    try:
        return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{path}: this {what} is empty (no header, no rows). Fix: point the config at the "
                        "right file, or write its header and rows.") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise DataError(f"{path}: cannot read this {what} ({exc}). Fix: save it as UTF-8 CSV with sep '{sep}'.") from exc


def _need_columns(df: pd.DataFrame, columns: dict[str, str | None], path: str | Path) -> None:
    """``columns``: config key -> the column it names (None: not set). The fix names the keys whose
    columns are missing, each with its value now."""
    missing = {key: col for key, col in columns.items() if col and col not in df.columns}
    if missing:
        keys = ", ".join(f"{key} (now '{col}')" for key, col in missing.items())
        optional = " (or remove group_column)" if "group_column" in missing else ""
        raise DataError(
            f"{path}: no column(s) {list(missing.values())}. Columns are {list(df.columns)}. "
            f"Fix: set {keys} in the config to one of those columns{optional}."
        )


def apply_filters(df: pd.DataFrame, filters: dict, where: str) -> pd.DataFrame:
    """Keep rows matching every filter: a value, a list of values, or ``{min: a, max: b}``. Values
    are compared trimmed of spaces (as labels are kept); what a filter drops is logged."""
    keep = pd.Series(True, index=df.index)
    for column, rule in (filters or {}).items():
        if column not in df.columns:
            raise DataError(f"{where}: filter on '{column}', which is not a column or field ({list(df.columns)}).")
        values = df[column].astype(str).str.strip()
        if isinstance(rule, dict):
            numbers = pd.to_numeric(values, errors="coerce")
            ok = numbers.notna()
            if "min" in rule:
                ok &= numbers >= rule["min"]
            if "max" in rule:
                ok &= numbers <= rule["max"]
        elif isinstance(rule, list):
            ok = values.isin([str(v).strip() for v in rule])
        else:
            ok = values == str(rule).strip()
        if (~ok & keep).any():
            dropped = values[~ok & keep]
            log.warning("%s: filter on '%s' dropped %d row(s), values e.g. %s", where, column, int((~ok & keep).sum()),
                        _examples(sorted(set(dropped))))
        keep &= ok
    return df[keep]


def _list_folders(ds: dict) -> pd.DataFrame:
    root = Path(ds["path"])
    rows, empty = [], []
    for folder in _class_folders(root):
        images = _images_under(folder)
        if not images:
            empty.append(folder.name)
        rows += [{"path": str(p), "label": folder.name.strip(), "given_group": "", "source": p.relative_to(root).as_posix()}
                 for p in images]
    if empty:
        log.warning("%s: %d class folder(s) hold no image and give no class: %s", root, len(empty), _examples(empty))
    loose = sorted(p.name for p in root.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS
                   and not p.name.startswith("."))
    if loose:
        log.warning("%s: %d image(s) outside any class folder ignored (no label): %s", root, len(loose), _examples(loose))
    df = pd.DataFrame(rows, columns=["path", "label", "given_group", "source"])
    return apply_filters(df, ds.get("filters", {}), f"datasets.{ds['name']}.filters").reset_index(drop=True)


def _list_csv(ds: dict) -> pd.DataFrame:
    root, manifest = Path(ds["path"]), ds["manifest"]
    df = _read_table(manifest, ds.get("sep", ","), "manifest")
    file_col, label_col, group_col = ds.get("file_column", "file"), ds["label_column"], ds.get("group_column")
    _need_columns(df, {"file_column": file_col, "label_column": label_col, "group_column": group_col}, manifest)
    df[label_col] = df[label_col].str.strip()
    df = apply_filters(df, ds.get("filters", {}), str(manifest))
    paths = [root / f for f in df[file_col]]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise DataError(
            f"{manifest}: {len(missing)} listed file(s) do not exist, e.g. {missing[:3]}. "
            f"Fix: file paths must be relative to the dataset's path ({root}); correct or remove those rows."
        )
    return pd.DataFrame(
        {
            "path": [str(p) for p in paths],
            "label": df[label_col].to_numpy(),
            "given_group": (df[group_col].str.strip() if group_col else pd.Series("", index=df.index)).to_numpy(),
            "source": df[file_col].to_numpy(),
        }
    )


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
        rows.append({"path": str(path), "label": folder_label.strip(), "source": path.relative_to(root).as_posix(), **m.groupdict()})
    if unmatched:
        log.warning("%d file name(s) do not match pattern and were skipped, e.g. %s", len(unmatched), unmatched[:3])
    df = pd.DataFrame(rows)
    if df.empty:
        raise DataError(f"{root}: no image file name matches pattern {pattern.pattern!r} (names e.g. "
                        f"{_examples(unmatched)}). Fix: correct datasets.{ds['name']}.pattern.")
    df = df.fillna("")
    if label_from == "manifest":
        table = _read_table(ds["manifest"], ds.get("sep", ","), "manifest")
        file_col = ds.get("file_column", "file")
        _need_columns(table, {"file_column": file_col, "label_column": ds["label_column"]}, ds["manifest"])
        labels = dict(zip(table[file_col], table[ds["label_column"]].str.strip()))
        df["label"] = [labels.get(s, labels.get(Path(s).name, "")) for s in df["source"]]
        unlabelled = int((df["label"] == "").sum())
        if unlabelled:
            log.warning("%d image(s) have no label in %s and were skipped", unlabelled, ds["manifest"])
        df = df[df["label"] != ""]
    elif label_from == "field":
        df["label"] = df[ds["label_field"]].str.strip()
    before = len(df)
    df = apply_filters(df, ds.get("filters", {}), f"datasets.{ds['name']}.filters")
    log.info("filters kept %d of %d images", len(df), before)
    group_col = ds.get("group_column")
    df["given_group"] = df[group_col] if group_col else ""
    return df[["path", "label", "given_group", "source"]].reset_index(drop=True)


def _list_pixels_csv(ds: dict, image_dir: Path) -> pd.DataFrame:
    csv = ds["path"]
    pixels_col, label_col, group_col = ds.get("pixels_column", "pixels"), ds["label_column"], ds.get("group_column")
    df = _read_table(csv, ds.get("sep", ","), "pixels CSV")
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
    from .demo import write_demo

    table = write_demo(image_dir, counts=ds.get("counts"), size=ds.get("size", 64), seed=ds.get("seed", 0))
    return pd.DataFrame(
        {
            "path": [str((image_dir / f).resolve()) for f in table["file"]],
            "label": table["label"].to_numpy(),
            "given_group": table["group"].to_numpy(),
            "source": [f"demo:{f}" for f in table["file"]],
        }
    )


def list_images(ds: dict, image_dir: str | Path | None = None) -> pd.DataFrame:
    """Path, label, given_group and source of every image of a dataset, without reading pixels.

    ``image_dir`` is where ``pixels_csv`` and ``demo`` write their images.
    """
    layout = ds["layout"]
    if layout in ("pixels_csv", "demo"):
        if image_dir is None:
            raise ValueError(f"layout {layout} writes images: give image_dir")
        image_dir = Path(image_dir)
        df = _list_pixels_csv(ds, image_dir) if layout == "pixels_csv" else _list_demo(ds, image_dir)
    else:
        df = {"folders": _list_folders, "csv": _list_csv, "filename_fields": _list_filename_fields}[layout](ds)
        if not df.empty:
            _refuse_outside(df, ds)
            df = _drop_repeated_files(df, ds)
    if df.empty:
        raise DataError(f"dataset '{ds['name']}' ({ds.get('path', layout)}): no images found. Fix: check its path and filters.")
    empty_label = df["label"].astype(str).str.strip() == ""
    if empty_label.any():
        raise DataError(f"dataset '{ds['name']}': {int(empty_label.sum())} image(s) have an empty label, e.g. {df.loc[empty_label, 'source'].iloc[0]}.")
    check_labels(df["label"], ds["name"])
    return df.reset_index(drop=True)


# ---------------------------------------------------------------- checks before any job


def class_group_counts(ds: dict, listing: pd.DataFrame | None = None) -> pd.Series:
    """Groups per class, as far as can be known without reading images (used before any job
    runs; duplicates can only merge groups further, which the split stage checks again).
    ``listing``: :func:`list_images` of a listed layout, when the caller has it already."""
    layout = ds["layout"]
    if layout == "demo":  # its babies are planned before any image is drawn: exact, and cheap
        from .demo import class_groups

        return pd.Series(class_groups(ds["counts"], ds.get("seed", 0)), dtype=int)
    if layout == "pixels_csv":
        df = _read_table(ds["path"], ds.get("sep", ","), "pixels CSV")
        # the group column too: a missing one would otherwise stop the run with a bare KeyError
        _need_columns(df, {"label_column": ds["label_column"], "group_column": ds.get("group_column")}, ds["path"])
        df = apply_filters(df, ds.get("filters", {}), ds["path"])
        names = {str(k): str(v) for k, v in ds["label_names"].items()}
        labels = df[ds["label_column"]].str.strip().map(names).dropna()
        group_col = ds.get("group_column")
        if group_col:
            groups = df.loc[labels.index, group_col].where(lambda s: s != "", labels.index.astype(str))
            return pd.DataFrame({"label": labels, "g": groups}).groupby("label")["g"].nunique()
        return labels.value_counts()
    df = list_images(ds) if listing is None else listing
    groups = df["given_group"].where(df["given_group"] != "", df["path"])
    return pd.DataFrame({"label": df["label"], "g": groups}).groupby("label")["g"].nunique()


def label_filter_key(ds: dict) -> str | None:
    """The ``filters`` key that selects classes by their label in this layout, or None (pixels_csv
    filters see the integer codes before label_names maps them)."""
    if ds["layout"] in ("folders", "filename_fields"):
        return "label"
    if ds["layout"] == "csv":
        return ds["label_column"]
    return None


def check_enough_groups(counts: pd.Series, folds: int, dataset: str, label_key: str | None = "label") -> None:
    """Stop with the class and the fix when there are fewer than two classes, or a class has fewer
    groups than folds. ``label_key``: the filters key that selects labels (:func:`label_filter_key`),
    None where no filter can."""
    if len(counts) < 2:
        raise DataError(
            f"dataset '{dataset}': {len(counts)} class(es) ({_examples(counts.index)}); comparing classifiers "
            "needs at least 2. Fix: check the dataset's path, layout and filters (every class is a folder, or a "
            "label in the manifest)."
        )
    small = counts[counts < folds]
    if len(small):
        detail = ", ".join(f"'{c}' has {n}" for c, n in small.items())
        kept = [c for c in counts.index if c not in small.index]
        fixes = []
        if folds > 2 and small.min() >= 2:
            fixes.append(f"lower split.folds for this dataset (datasets.{dataset}.split.folds: {int(small.min())})")
        fixes.append("add images of that class")
        if len(kept) >= 2 and label_key:
            import json  # JSON strings are YAML: any label survives quoting

            fixes.append(f"drop the class with datasets.{dataset}.filters: "
                         f"{{{json.dumps(label_key)}: [{', '.join(json.dumps(k) for k in kept)}]}}")
        raise DataError(
            f"dataset '{dataset}': every class needs at least split.folds={folds} groups (subjects or "
            f"photos) so each test fold can hold one; {detail}. Fix: " + ", or ".join(fixes) + "."
        )


# ---------------------------------------------------------------- the stage


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


EXIF_ORIENTATION = 0x0112
SWAPPED_ORIENTATIONS = {5, 6, 7, 8}  # rotated a quarter turn: width and height trade places


def _describe(path: str) -> tuple[float, float, str]:
    """Width, height (as the image is meant to be seen) and mode, from the header alone: nothing is
    decoded here, so a decompression bomb costs nothing (the faces stage applies ingest.max_pixels)."""
    try:
        with Image.open(path) as im:
            width, height = im.size
            # PNG's getexif() decodes the image to look for an eXIf chunk after the pixels: ask only
            # where the header holds the EXIF (JPEG's APP1, a PNG eXIf chunk before the pixels, TIFF)
            header_exif = "exif" in im.info or im.format == "TIFF"
            if header_exif and im.getexif().get(EXIF_ORIENTATION) in SWAPPED_ORIENTATIONS:
                width, height = height, width
            return float(width), float(height), im.mode
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        log.warning("unreadable image %s (%s); faces will report it", path, exc.__class__.__name__)
        return float("nan"), float("nan"), "unreadable"


def stable_id(dataset: str, location: str) -> str:
    """An image's id from its place in the dataset (the manifest's ``source`` column)."""
    return f"{dataset}-{hashlib.sha1(location.encode()).hexdigest()[:12]}"


def join_groups(groups, links) -> list[str]:
    """``groups`` after joining the two groups of every ``(a, b)`` in ``links`` (union-find); each
    joined set takes its smallest name, so the result does not depend on the order of the links."""
    parent: dict[str, str] = {}

    def find(g: str) -> str:
        while parent.setdefault(g, g) != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    for a, b in links:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return [find(g) for g in groups]


def merge_duplicate_groups(df: pd.DataFrame, by: str = "sha256") -> pd.Series:
    """Groups after merging every two groups that share a value of ``by``."""
    links = []
    for _, groups in df.groupby(by)["group"]:
        first, *rest = groups.tolist()
        links += [(first, g) for g in rest]
    return pd.Series(join_groups(df["group"], links), index=df.index, name="group")


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


def listing_fingerprint(ds: dict, listing: pd.DataFrame | None = None) -> str:
    """A hash of a dataset's files (path, size, modification time) and manifest, so that Snakemake
    re-ingests when images are added, removed or edited. The demo has none: it is drawn.
    ``listing``: :func:`list_images` of a listed layout, when the caller has it already."""
    if ds["layout"] == "demo":
        return "demo"
    if ds["layout"] == "pixels_csv":
        files = [ds["path"]]
    else:
        files = list((list_images(ds) if listing is None else listing)["path"])
    if ds.get("manifest"):
        files.append(ds["manifest"])
    h = hashlib.sha256()
    for f in sorted(files):
        st = Path(f).stat()
        h.update(f"{f}\t{st.st_size}\t{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def read_manifest(path: str | Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype={"id": str, "label": str, "group": str, "sha256": str, "source": str, "path": str, "mode": str}, keep_default_na=False)
