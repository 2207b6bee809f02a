"""Reading a manifest table, checking the columns the config names, and filtering its rows."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from ..errors import DataError, _examples, shown

# the stage's one logger: every line keeps the name infantfer.ingest
log = logging.getLogger(__package__)


SEPARATORS = (";", "\t", "|", ",")  # what a table's first line is checked for when sep seems wrong


def _first_line(path: str | Path) -> str:
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            return fh.readline().rstrip("\r\n")
    except OSError:
        return ""


def _wrong_sep(path: str | Path, sep: str, what: str, dataset: str) -> DataError | None:
    """The error for a table whose header holds no ``sep`` but another separator (``;``, a tab)."""
    header = _first_line(path)
    if sep in header:
        return None
    for other in SEPARATORS:
        if other != sep and other in header:
            import json  # a JSON string is a YAML string: "\t" survives

            key = f"datasets.{dataset}.sep" if dataset else "sep"
            return DataError(
                f"{path}: this {what} looks {json.dumps(other)}-separated (its header is '{shown(header)[:200]}'), "
                f"but it is read with sep {json.dumps(sep)}: every row would be one column. Fix: set "
                f"{key}: {json.dumps(other)} in the config."
            )
    return None


def _header(path: str | Path, sep: str) -> list[str]:
    return pd.read_csv(path, sep=sep, header=None, nrows=1, dtype=str, keep_default_na=False,
                       encoding="utf-8-sig").iloc[0].tolist()


def _drop_unnamed_empty_columns(df: pd.DataFrame, header: list[str], path: str | Path, what: str) -> pd.DataFrame:
    """Columns without a name in the header: dropped, with a line in the log, when they hold nothing
    (``file,label,,``: what a spreadsheet writes after a deleted column); an error naming the column
    and a row when they hold values (which column is meant is unclear)."""
    unnamed = [i for i, name in enumerate(header) if not str(name).strip()]
    if not unnamed or len(header) != len(df.columns):
        return df
    columns = [df.columns[i] for i in unnamed]
    for i, column in zip(unnamed, columns):
        filled = df[column].astype(str).str.strip() != ""
        if filled.any():
            row = int(filled.idxmax()) + 2  # 1-based, after the header: what an editor shows
            raise DataError(
                f"{path}: column {i + 1} of this {what} has no name in the header but holds values (line {row}: "
                f"'{shown(df.at[filled.idxmax(), column])[:80]}'). Fix: give it a name in the header, or delete the "
                "column.")
    log.info("%s: %d column(s) without a name and without values ignored (what a spreadsheet leaves after a "
             "deleted column): column(s) %s", path, len(unnamed), ", ".join(str(i + 1) for i in unnamed))
    return df.drop(columns=columns)


def _refuse_repeated_columns(header: list[str], path: str | Path, what: str) -> None:
    """A header naming one column twice (``file,label,label``) is an error: pandas would read the
    first and rename the others ``label.1``, silently. (Columns without a name: see above.)"""
    header = [c for c in header if str(c).strip()]
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        raise DataError(
            f"{path}: the header of this {what} names column(s) {', '.join(repr(shown(c)) for c in repeated)} more "
            f"than once ({', '.join(shown(c) for c in header)[:300]}): which one holds the data is unclear. Fix: "
            "rename or remove the repeated column(s)."
        )


def _read_table(path: str | Path, sep: str, what: str, dataset: str = "") -> pd.DataFrame:
    """A manifest or pixels CSV as text; a wrong ``sep`` and repeated columns are errors naming the
    file and the fix."""
    try:
        df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{path}: this {what} is empty (no header, no rows). Fix: point the config at the "
                        "right file, or write its header and rows.") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise (_wrong_sep(path, sep, what, dataset) or DataError(
            f"{path}: cannot read this {what} ({exc}). Fix: save it as UTF-8 CSV with sep '{sep}'.")) from exc
    if len(df.columns) == 1 and (wrong := _wrong_sep(path, sep, what, dataset)):
        raise wrong
    header = _header(path, sep)
    _refuse_repeated_columns(header, path, what)
    return _drop_unnamed_empty_columns(df, header, path, what)


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
