"""The answer's first lines: per dataset one sentence (which arms beat, matched or fell behind the
reference, by how much, with the CI), the thesis' claim line when both of its arms ran, and what
"%" means. Differences are in points (100 x the metric's difference); "%" is relative to the
baseline arm's mean, and left out where that mean is below :data:`MIN_RELATIVE_MEAN`, where a
relative change divides by almost nothing."""

from __future__ import annotations

import math

import pandas as pd

from ..method import METHOD_CLASSIFIER
from ..metrics import METRICS
from ..statistics import EQUIVALENT, IDENTICAL, INCONCLUSIVE, MEAN_ROW, NO_PAIRS, SANITY_CLASSIFIERS, THESIS_CLAIM, TOO_FEW
from ..statistics.paired import ALPHA
from .text import METRIC_NAMES, level

MIN_RELATIVE_MEAN = 0.1  # below this baseline mean a relative change is not shown


def shows_percent(baseline_mean: float) -> bool:
    """Whether a change is also given in % of its baseline mean (finite and at least MIN_RELATIVE_MEAN)."""
    return math.isfinite(baseline_mean) and baseline_mean >= MIN_RELATIVE_MEAN


def answer_classifier(stats: pd.DataFrame) -> str:
    """The classifier the answer speaks of: the method's, else the first that is not a sanity row."""
    present = list(dict.fromkeys(stats["classifier"]))
    if METHOD_CLASSIFIER in present:
        return METHOD_CLASSIFIER
    return next((c for c in present if c not in SANITY_CLASSIFIERS), METHOD_CLASSIFIER)


def _pts(x: float, sign: bool = True) -> str:
    """Points to one decimal; a value that rounds to zero is 0.0, never -0.0."""
    if x is None or not math.isfinite(x):
        return "n/a"
    x = round(x, 1) + 0.0
    return f"{x:+.1f}" if sign else f"{x:.1f}"


def _relative(row: pd.Series) -> str:
    """'+11.6%' of the baseline's mean, or '' where that mean is below 0.1 (or missing)."""
    mean = row["baseline_mean"]
    if not shows_percent(mean) or not math.isfinite(row["rel_change_pct"]):
        return ""
    return f"{row['rel_change_pct']:+.1f}%"


def _moved(rows: pd.DataFrame) -> str:
    """'raised macro F1 by 8.1 points [3.2, 13.0] (+11.6%)' for the first of ``rows`` (one verdict,
    higher or lower; the CI is of the size of the change), naming the others' metrics after it."""
    row = rows.iloc[0]
    name = METRIC_NAMES.get(row["metric"], row["metric"])
    low, high = 100 * row["ci_low"], 100 * row["ci_high"]
    if row["verdict"] == "lower":
        low, high = -high, -low
    verb = "raised" if row["verdict"] == "higher" else "lowered"
    extras = [_relative(row)] if _relative(row) else []
    if len(rows) > 1:
        extras.append(f"{_metric_names(rows.iloc[1:])} too")
    return (f"{verb} {name} by {_pts(abs(100 * row['mean_diff']), False)} points [{_pts(low, False)}, "
            f"{_pts(high, False)}]" + (f" ({'; '.join(extras)})" if extras else ""))


def _metric_names(rows: pd.DataFrame) -> str:
    names = [METRIC_NAMES.get(m, m) for m in rows["metric"]]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _unadjusted_note(row: pd.Series, family: int, alpha: float) -> str:
    """Words for a CI that excludes 0 before Holm's adjustment but not after it."""
    if row["verdict"] in ("higher", "lower") or not (row["ci_low"] > 0 or row["ci_high"] < 0):
        return ""
    return (f"; its {level(alpha)} CI excludes 0 only before Holm's adjustment for the {family} comparisons of "
            f"this metric, so it is not called a difference")


def _arm_clause(arm: str, rows: pd.DataFrame, alpha: float) -> tuple[str, str]:
    """(kind, words) of one arm against the reference: beat / behind / mixed give a clause with its
    verb; matched and open give the arm and its numbers, listed after the kind's own words."""
    higher, lower = rows[rows["verdict"] == "higher"], rows[rows["verdict"] == "lower"]
    if len(higher) and len(lower):
        return "mixed", f"{arm} {_moved(higher)} but {_moved(lower)}"
    if len(higher) or len(lower):
        return ("beat" if len(higher) else "behind"), f"{arm} {_moved(higher if len(higher) else lower)}"
    matched = rows[rows["verdict"].isin([EQUIVALENT, IDENTICAL])]
    open_ = rows[rows["verdict"] == INCONCLUSIVE]
    rope = f"±{rows['rope_points'].iloc[0]:g}"
    if open_.empty:
        first = matched.iloc[0]
        name = METRIC_NAMES.get(first["metric"], first["metric"])
        only = "; every metric" if len(matched) == len(rows) else f"; on {_metric_names(matched)} only"
        return "matched", (f"{arm} ({name} {_pts(100 * first['mean_diff'])} points, {level(2 * alpha)} CI "
                           f"[{_pts(100 * first['tost_ci_low'])}, {_pts(100 * first['tost_ci_high'])}]{only})")
    first = open_.iloc[0]
    name = METRIC_NAMES.get(first["metric"], first["metric"])
    words = (f"{arm} ({name} {_pts(100 * first['mean_diff'])} points [{_pts(100 * first['ci_low'])}, "
             f"{_pts(100 * first['ci_high'])}], P(within {rope}) = {first['p_rope']:.2f}"
             f"{_unadjusted_note(first, int(first['family']), alpha)}")
    if len(matched):
        words += f"; within {rope} on {_metric_names(matched)}"
    return "open", words + ")"


def _rows_against(stats: pd.DataFrame, classifier: str, reference: str) -> pd.DataFrame:
    """The classifier's comparisons with the reference, metrics in order, with the size of each
    one's Holm family (every tested comparison of its metric, the method's pairs included)."""
    rows = stats[stats["classifier"] == classifier].copy()
    rows["family"] = rows.groupby("metric")["p_corrected"].transform("count")
    rows = rows[rows["baseline"] == reference]
    rows["_order"] = rows["metric"].map({m: i for i, m in enumerate(METRICS)})
    return rows.sort_values("_order", kind="stable")


def dataset_lead(name: str, stats: pd.DataFrame, reference: str, alpha: float) -> str:
    """One sentence: which arms beat, matched or fell behind ``reference`` in ``name``, by how much."""
    classifier = answer_classifier(stats)
    rows = _rows_against(stats, classifier, reference)
    if rows.empty:
        return f"{name}: no arm was compared with {reference} (it is not one of the arms)."
    n = int(rows["n"].max())
    head = f"{name} ({classifier}, n = {n} paired test folds): "
    if (rows["verdict"] == TOO_FEW).all() or n == 0:
        first = rows[rows["metric"] == rows["metric"].iloc[0]]
        name0 = METRIC_NAMES.get(first["metric"].iloc[0], first["metric"].iloc[0])
        diffs = ", ".join(f"{r['arm']} {_pts(100 * r['mean_diff'])}" for _, r in first.iterrows())
        return (head + f"too few folds to test anything; mean differences from {reference} in {name0}: {diffs} "
                "points, with no interval.")
    clauses: dict[str, list[str]] = {k: [] for k in ("beat", "mixed", "behind", "matched", "open")}
    for arm, mine in rows[rows["verdict"] != NO_PAIRS].groupby("arm", sort=False):
        kind, words = _arm_clause(arm, mine, alpha)
        clauses[kind].append(words)
    behind = clauses["behind"] or clauses["mixed"]
    parts = clauses["beat"] or [f"No arm beat {reference}" + ("" if behind else " or fell behind it")]
    parts += clauses["mixed"] + clauses["behind"]
    rope = f"±{rows['rope_points'].iloc[0]:g} points"
    if clauses["matched"]:
        parts.append(f"matched {reference} within {rope}: " + ", ".join(clauses["matched"]))
    if clauses["open"]:
        parts.append("inconclusive: " + ", ".join(clauses["open"]))
    return head + "; ".join(parts) + "."


def claim_line(thesis: pd.DataFrame, alpha: float = ALPHA) -> str | None:
    """The thesis' claim beside what the run measured, one line; None when no dataset ran both arms."""
    per_dataset = thesis[thesis["dataset"] != MEAN_ROW]
    if per_dataset.empty:
        return None
    pieces = []
    for metric in METRICS:
        mine = per_dataset[per_dataset["metric"] == metric]
        if mine.empty:
            continue
        measured = []
        for _, r in mine.iterrows():
            relative = shows_percent(r["cgan_mean"])
            text = (f"{_pts(r['change_relative_pct'])}% ({_pts(r['change_points'])} points" if relative
                    else f"{_pts(r['change_points'])} points (cgan's mean {r['cgan_mean']:.2f} is below 0.1: no %")
            if math.isfinite(r["ci_low_points"]):
                text += f", {level(alpha)} CI [{_pts(r['ci_low_points'])}, {_pts(r['ci_high_points'])}] points"
            measured.append(f"{r['dataset'] + ' ' if len(mine) > 1 else ''}{text}, {r['verdict']})")
        pieces.append(f"{METRIC_NAMES[metric]} +{THESIS_CLAIM[metric]:g}% claimed, {'; '.join(measured)} measured")
    return f"The thesis' claim, smoteenn_cgan over cgan ({METHOD_CLASSIFIER}): " + "; ".join(pieces) + "."


def percent_note(runs: list, reference_of, alpha: float = ALPHA, with_claim: bool = False) -> str:
    """What "%" means, and where it is left out (the reference's mean below 0.1)."""
    claim = " (to cgan's in the thesis' claim)" if with_claim else ""
    small = []
    for run in runs:
        stats = run.statistics
        rows = stats[(stats["classifier"] == answer_classifier(stats)) & (stats["baseline"] == reference_of(run))]
        for metric, mean in rows.groupby("metric", sort=False)["baseline_mean"].first().items():
            if math.isfinite(mean) and mean < MIN_RELATIVE_MEAN:
                small.append(f"{run.name}'s {METRIC_NAMES.get(metric, metric)} ({reference_of(run)} {mean:.2f})")
    text = ("Differences are in points (100 x the difference of the metric, on its 0-1 scale); % is relative to the "
            f"reference arm's mean{claim}; [a, b] is the {level(alpha)} confidence interval, unadjusted; higher and "
            "lower are decided after Holm's adjustment within each dataset and metric, equivalent by two one-sided "
            "tests against the rope.")
    if small:
        text += (f" Where the reference's mean is below {MIN_RELATIVE_MEAN:g} ({', '.join(small)}), a relative "
                 "change divides by almost nothing and explodes, so those differences are in points only.")
    return text
