"""Checks before any job: groups per class, known without reading images, against the folds."""

from __future__ import annotations

import pandas as pd

from .errors import DataError, _examples
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
