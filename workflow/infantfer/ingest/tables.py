"""Reading a manifest table, checking the columns the config names, and filtering its rows."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from ..errors import DataError, _examples

# the stage's one logger: every line keeps the name infantfer.ingest
log = logging.getLogger(__package__)


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
