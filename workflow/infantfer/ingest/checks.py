"""Checks before any job: groups per class, known without reading images (the folds need enough:
:func:`infantfer.groups.check_enough_groups`)."""

from __future__ import annotations

import pandas as pd

from ..errors import DataError
from .layouts import list_images
from .tables import _need_columns, _read_table, apply_filters


def class_group_counts(ds: dict, listing: pd.DataFrame | None = None) -> pd.Series:
    """Groups per class, as far as can be known without reading images (used before any job
    runs; duplicates can only merge groups further, which the split stage checks again).
    ``listing``: :func:`list_images` of a listed layout, when the caller has it already."""
    layout = ds["layout"]
    if layout == "demo":  # its babies are planned before any image is drawn: exact, and cheap
        from ..demo import class_groups

        return pd.Series(class_groups(ds["counts"], ds.get("seed", 0)), dtype=int)
    if layout == "pixels_csv":
        df = _read_table(ds["path"], ds.get("sep", ","), "pixels CSV", ds["name"])
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


def check_shared_images(datasets: dict[str, tuple[dict, set[str]]]) -> list[str]:
    """Datasets that hold the same images. ``datasets``: name -> (resolved settings, the sha256 of
    each of its image files; empty where unknown before ingest). Two datasets with the same
    ``path`` and the same settings are one dataset run twice: a DataError naming both. Otherwise
    (other filters, other settings: a legitimate comparison) one warning per pair that shares
    images, naming both and how many, since the statistics across datasets count those twice."""
    import os

    def where(ds: dict) -> str | None:
        return os.path.realpath(ds["path"]) if ds.get("path") else None

    def same_settings(a: dict, b: dict) -> bool:
        return {k: v for k, v in a.items() if k != "name"} == {k: v for k, v in b.items() if k != "name"}

    warnings = []
    names = sorted(datasets)
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            (a, hashes_a), (b, hashes_b) = datasets[first], datasets[second]
            same_place = where(a) is not None and where(a) == where(b)
            if same_place and same_settings(a, b):
                raise DataError(
                    f"datasets '{first}' and '{second}' read the same path ({a['path']}) with the same settings: one "
                    f"dataset, run twice, whose images would count twice across datasets. Fix: remove one of "
                    "them, or give them the settings that make them differ (filters, faces, arms).")
            shared = len(hashes_a & hashes_b)
            if shared or same_place:
                what = f"{shared} image(s) with the same content" if shared else "the same file"
                warnings.append(
                    f"datasets '{first}' and '{second}' share {what}{' (same path)' if same_place else ''}: the "
                    "statistics across datasets count them in both. Fine for two views of one collection (other "
                    "filters or settings); otherwise keep each photo in one dataset.")
    return warnings


def planned_image_count(ds: dict, listing: pd.DataFrame | None = None) -> int:
    """Images of a dataset as far as known before any job runs (for the cost estimate): the listed
    files, the demo's counts; for a pixels CSV its groups, a lower bound."""
    if listing is not None:
        return len(listing)
    if ds["layout"] == "demo":
        from ..demo import DEFAULT_COUNTS

        return int(sum((ds.get("counts") or DEFAULT_COUNTS).values()))
    return int(class_group_counts(ds).sum())
