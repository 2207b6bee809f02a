"""What a run could have found: per dataset and metric, the range of differences its comparisons
detect with 80% power (at the level Holm's procedure uses for each), and whether more repeats of the
same folds would bring the rope within reach, from ``statistics.tsv``'s power columns."""

from __future__ import annotations

import math

import pandas as pd

from .text import METRIC_NAMES


def _range(values: pd.Series, digits: int = 1) -> str:
    lo, hi = float(values.min()), float(values.max())
    return f"{lo:.{digits}f}" if f"{lo:.{digits}f}" == f"{hi:.{digits}f}" else f"{lo:.{digits}f}-{hi:.{digits}f}"


def _repeats(values: pd.Series) -> str:
    finite = values[values.map(math.isfinite)]
    if finite.empty:
        return "more than 1000 repeats"
    text = _range(finite, 0)
    return text + (" (or more than 1000)" if len(finite) < len(values) else "") + " repeats"


def reach(rows: pd.DataFrame, folds: int, repeats: int) -> str:
    """Whether this run, more repeats of its ``folds`` folds, or neither detects a difference of the
    rope's size, from the rows' ``repeats_for_rope`` (empty: out of reach by repeats) and
    ``detectable_floor_points``."""
    rope = float(rows["rope_points"].iloc[0])
    needed = rows["repeats_for_rope"]
    groups = {"already": rows[needed <= repeats], "more": rows[needed > repeats], "never": rows[needed.isna()]}

    def count(group: pd.DataFrame) -> str:
        return "" if len(group) == len(rows) else f" in {len(group)} of {len(rows)} comparisons"

    parts = []
    if len(groups["already"]):
        parts.append("this run detects it" + count(groups["already"]))
    if len(groups["more"]):
        parts.append(f"{_repeats(groups['more']['repeats_for_rope'])} of {folds} folds would" + count(groups["more"]))
    if len(groups["never"]):
        parts.append(f"no number of repeats of {folds} folds would{count(groups['never'])} (the corrected variance "
                     f"has a floor: {_range(groups['never']['detectable_floor_points'])} points at 80% power); only a "
                     f"smaller fold-to-fold spread, from more images per test fold, would reach it")
    return f"a difference of the rope's size (±{rope:g} points): " + "; ".join(parts)


def power_sentence(stats: pd.DataFrame, classifier: str, metric: str, folds: int, repeats: int) -> str | None:
    """One metric's power in words, or None when none of the classifier's comparisons was tested."""
    rows = stats[(stats["classifier"] == classifier) & (stats["metric"] == metric)
                 & stats["detectable_points"].notna()]
    if rows.empty:
        return None
    name = METRIC_NAMES.get(metric, metric)
    return (f"{name}: differences of {_range(rows['detectable_points'])} points are detected with 80% power "
            f"(at the level Holm uses for each comparison); {reach(rows, folds, repeats)}.")


def power_sentences(stats: pd.DataFrame, classifier: str, metrics: list[str], folds: int,
                    repeats: int) -> list[str]:
    """:func:`power_sentence` of each metric that has one."""
    found = (power_sentence(stats, classifier, m, folds, repeats) for m in metrics)
    return [s for s in found if s]
