"""The error every data problem raises (ingest, split), and the examples its messages name."""

from __future__ import annotations


class DataError(ValueError):
    """A problem with the data itself, naming the files involved and the fix."""


def _examples(items, n: int = 3) -> str:
    items = [str(i) for i in items]
    return ", ".join(items[:n]) + (f" (and {len(items) - n} more)" if len(items) > n else "")
