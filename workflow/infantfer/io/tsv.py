"""TSV tables: written atomically without their index; ids, labels and names always read as text."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .atomic import atomic_path

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

# Columns read as strings whatever they hold: ids, labels and class names ("0", "NA", "1e3") must
# never turn into numbers or NaN.
STRING_COLUMNS = {c: str for c in ("id", "label", "class", "y_true", "y_pred", "true", "pred", "group",
                                   "sha256", "source", "arm", "base", "file", "dataset", "classifier",
                                   "baseline", "metric", "step", "verdict", "note")}


def write_tsv(table: "pd.DataFrame", path: str | os.PathLike, **kwargs) -> None:
    """A table as TSV without its index, atomically."""
    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep="\t", index=False, **kwargs)


def read_tsv(path: str | os.PathLike, **kwargs) -> "pd.DataFrame":
    """A TSV table; id, label and class columns stay strings, empty cells stay empty strings."""
    import pandas as pd

    return pd.read_csv(path, sep="\t", dtype=STRING_COLUMNS, keep_default_na=False, **kwargs)


def read_numeric_tsv(path: str | os.PathLike) -> "pd.DataFrame":
    """A table of numbers beside names (statistics.tsv, thesis_claim.tsv, ...): the columns of
    STRING_COLUMNS stay text, every other column whose cells are all numbers or empty becomes
    numeric, with empty cells NaN."""
    import pandas as pd

    table = read_tsv(path)
    for column in table.columns:
        if column in STRING_COLUMNS or table[column].dtype == bool:
            continue
        filled = table[column] != ""
        converted = pd.to_numeric(table[column].where(filled), errors="coerce")
        if converted.notna().sum() == filled.sum():
            table[column] = converted
    return table


def as_bool(values) -> "pd.Series":
    """A table's True/False column as booleans, whether pandas read it as bool or as text
    (a column with an empty cell stays text); anything else is an error, never truthy."""
    import pandas as pd

    series = pd.Series(values)
    mapped = series.map({True: True, False: False, "True": True, "False": False})
    if mapped.isna().any():
        raise ValueError(f"not a True/False column: {sorted(set(series[mapped.isna()].astype(str)))[:3]}")
    return mapped.astype(bool)


def concat_tsv(paths, out: str | os.PathLike) -> "pd.DataFrame":
    """Concatenate TSV tables with the same columns into one."""
    import pandas as pd

    table = pd.concat([read_tsv(p) for p in paths], ignore_index=True)
    write_tsv(table, out)
    return table
