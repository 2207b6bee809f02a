"""Joining groups (union-find): exact duplicates at ingest, identical or near-identical face crops at
the split."""

from __future__ import annotations

import pandas as pd


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
