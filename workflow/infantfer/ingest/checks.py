"""Checks before any job: groups per class, known without reading images (the folds need enough:
:func:`infantfer.groups.check_enough_groups`)."""

from __future__ import annotations

import pandas as pd

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
