"""The report's wording: numbers, p-values and intervals as text, and reStructuredText and Markdown
helpers (every cell escaped)."""

from __future__ import annotations

import math

import pandas as pd

from ..metrics import REGISTRY
from ..statistics import (AT_CHANCE, CONSTANT, DIFFERENCES, EQUIVALENT, HIGHER, HIGHER_IN_ROPE, INCONCLUSIVE, LOWER,
                          LOWER_IN_ROPE)

# how the answer and the tables name each metric
METRIC_NAMES = {name: metric.display for name, metric in REGISTRY.items()}

TESTED = (*DIFFERENCES, EQUIVALENT, INCONCLUSIVE)  # verdicts that come from a test


def _num(x: float, digits: int = 3, sign: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    x = round(x, digits) + 0.0  # never -0.0
    return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"


def _p(p: float) -> str:
    """``p = 0.031`` or ``p < 0.001``."""
    if p is None or math.isnan(p):
        return "p n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def level(alpha: float) -> str:
    """The confidence level of (1 - alpha) intervals, e.g. ``95%``, ``96.7%``."""
    return f"{100 * (1 - alpha):.1f}".rstrip("0").rstrip(".") + "%"


def _ci(low: float, high: float, digits: int = 3) -> str:
    if any(v is None or math.isnan(v) for v in (low, high)):
        return ""
    return f"[{low:+.{digits}f}, {high:+.{digits}f}]"



def _rst_escape(text: str) -> str:
    return "".join("\\" + ch if ch in "\\*`|_[]" else ch for ch in str(text))


def _rst_emphasis(text: str) -> str:
    """Escape ``text`` but keep the ``**bold**`` our own sentences use."""
    pieces = str(text).split("**")
    return "".join(f"**{_rst_escape(p)}**" if i % 2 else _rst_escape(p) for i, p in enumerate(pieces))


VERDICT_CLASSES = {HIGHER: "v-higher", LOWER: "v-lower", HIGHER_IN_ROPE: "v-rope", LOWER_IN_ROPE: "v-rope",
                   EQUIVALENT: "v-equivalent", INCONCLUSIVE: "v-inconclusive", CONSTANT: "v-inconclusive",
                   AT_CHANCE: "v-inconclusive"}  # a Table 4 cell ending in the verdict: its highlight


def verdict_class(cell: str) -> str | None:
    """The highlight class of a Table 4 cell (``+0.080 [+0.041, +0.119] higher``), None for others."""
    text = str(cell).rstrip(")")
    if " " not in text:
        return None
    ends = [v for v in VERDICT_CLASSES if text.endswith(" " + v) or text.endswith("(" + v)]
    return VERDICT_CLASSES[max(ends, key=len)] if ends else None


def rst_roles() -> list[str]:
    """The custom roles :func:`rst_table` marks verdict cells with (a span of that class in HTML)."""
    return [f".. role:: {name}" for name in VERDICT_CLASSES.values()] + [""]


def rst_table(table: pd.DataFrame, title: str = "", highlight: bool = False) -> list[str]:
    """A DataFrame as an RST list-table (every cell escaped); ``highlight``: verdict cells in the
    roles of :func:`rst_roles` (declare them first)."""
    out = [f".. list-table:: {_rst_escape(title)}".rstrip(), "   :header-rows: 1", ""]
    for i, row in enumerate([list(table.columns), *table.astype(str).values.tolist()]):
        for j, value in enumerate(row):
            role = verdict_class(value) if highlight and i else None
            cell = f":{role}:`{_rst_escape(value)}`" if role else (_rst_escape(value) or " ")
            out.append(f"   {'* -' if j == 0 else '  -'} {cell}")
    return out + [""]


def _heading(text: str, char: str) -> list[str]:
    text = _rst_escape(text)
    return [text, char * max(len(text), 3), ""]



def _markdown_table(table: pd.DataFrame) -> list[str]:
    def esc(v) -> str:
        return str(v).replace("|", "\\|")

    out = ["| " + " | ".join(map(esc, table.columns)) + " |", "|" + "---|" * len(table.columns)]
    out += ["| " + " | ".join(map(esc, row)) + " |" for row in table.astype(str).values.tolist()]
    return out
