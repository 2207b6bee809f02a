"""Groups keep related images on one side of every fold. Joining them (union-find): exact duplicates
at ingest, identical or near-identical face crops at the split; and checking that every class has
enough of them for the folds (before any job, and again at the split)."""

from __future__ import annotations

import pandas as pd

from .errors import DataError, _examples


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


def check_enough_groups(counts: pd.Series, folds: int, dataset: str, label_key: str | None = "label") -> None:
    """Stop with the class and the fix when there are fewer than two classes, or a class has fewer
    groups than folds. ``label_key``: the filters key that selects labels (:func:`infantfer.ingest.label_filter_key`),
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
