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
from ..statistics import (AT_CHANCE, CONSTANT, DIFFERENCES, EQUIVALENT, HIGHER, HIGHER_IN_ROPE, IDENTICAL, LOWER,
                          LOWER_IN_ROPE, MEAN_ROW, NO_PAIRS, PRIMARY_METRIC, SANITY_CLASSIFIERS, THESIS_CLAIM, TOO_FEW,
                          direction)
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


def _moved(row: pd.Series, rope: str = "") -> str:
    """'raised macro F1 by 8.1 points [3.2, 13.0] (+11.6%)' (the CI of the size of the change);
    with ``rope``, that the whole CI lies inside it."""
    name = METRIC_NAMES.get(row["metric"], row["metric"])
    low, high = 100 * row["ci_low"], 100 * row["ci_high"]
    up = direction(row["verdict"]) > 0
    if not up:
        low, high = -high, -low
    extras = [_relative(row)] if _relative(row) else []
    inside = f", inside the {rope} rope" if rope else ""
    return (f"{'raised' if up else 'lowered'} {name} by {_pts(abs(100 * row['mean_diff']), False)} points "
            f"[{_pts(low, False)}, {_pts(high, False)}]{inside}" + (f" ({'; '.join(extras)})" if extras else ""))


def _unadjusted_note(row: pd.Series, family: int, alpha: float) -> str:
    """Words for a CI that excludes 0 before Holm's adjustment but not after it."""
    if row["verdict"] in DIFFERENCES or not (row["ci_low"] > 0 or row["ci_high"] < 0):
        return ""
    return (f"; its {level(alpha)} CI excludes 0 only before Holm's adjustment for the {family} comparisons of "
            f"this metric, so it is not called a difference")


# the groups of the lead, in their order, and the words that open each
KINDS = ("beat", "behind", "small", "matched", "constant", "open", "withheld")


def _arm_clause(arm: str, row: pd.Series, alpha: float) -> tuple[str, str]:
    """(kind, words) of one arm against the reference, from its primary metric's row alone."""
    verdict, rope = row["verdict"], f"±{row['rope_points']:g}"
    name = METRIC_NAMES.get(row["metric"], row["metric"])
    if verdict in (HIGHER, LOWER):
        return ("beat" if verdict == HIGHER else "behind"), f"{arm} {_moved(row)}"
    if verdict in (HIGHER_IN_ROPE, LOWER_IN_ROPE):
        return "small", f"{arm} {_moved(row, rope)}"
    if verdict in (EQUIVALENT, IDENTICAL):
        if verdict == IDENTICAL:
            return "matched", f"{arm} (identical on every fold)"
        return "matched", (f"{arm} ({name} {_pts(100 * row['mean_diff'])} points, {level(2 * row['tost_level'])} CI "
                           f"[{_pts(100 * row['tost_ci_low'])}, {_pts(100 * row['tost_ci_high'])}])")
    if verdict == CONSTANT:
        return "constant", f"{arm} ({_pts(100 * row['mean_diff'])} points on every fold: no variance to test)"
    if verdict == AT_CHANCE:
        return "withheld", f"{arm} ({name} {_pts(100 * row['mean_diff'])} points)"
    return "open", (f"{arm} ({name} {_pts(100 * row['mean_diff'])} points [{_pts(100 * row['ci_low'])}, "
                    f"{_pts(100 * row['ci_high'])}], P(within {rope}) = {row['p_rope']:.2f}"
                    f"{_unadjusted_note(row, int(row['family']), alpha)})")


def _rows_against(stats: pd.DataFrame, classifier: str, reference: str) -> pd.DataFrame:
    """The classifier's comparisons with the reference, metrics in order, with the size of each
    one's Holm family (every tested comparison of its metric, the method's pairs included)."""
    rows = stats[stats["classifier"] == classifier].copy()
    rows["family"] = rows.groupby("metric")["p_corrected"].transform("count")
    rows = rows[rows["baseline"] == reference]
    rows["_order"] = rows["metric"].map({m: i for i, m in enumerate(METRICS)})
    return rows.sort_values("_order", kind="stable")


def chance_note(sanity: pd.DataFrame | None, classifier: str, reference: str) -> str | None:
    """Words for a reference that does not beat chance with ``classifier``, or None."""
    if sanity is None or sanity.empty:
        return None
    row = sanity[(sanity["check"] == "beats_chance") & (sanity["subject"] == classifier)]
    if row.empty or str(row["passed"].iloc[0]) != "False":
        return None
    r = row.iloc[0]
    name = METRIC_NAMES.get(r["metric"], r["metric"])
    return (f"{reference} does not beat chance on {name} ({r['reference_mean']:.2f} against the "
            f"{r['chance_mean']:.2f} a stratified random classifier scores; one-sided lower bound of the difference "
            f"{_pts(100 * r['lower_bound'])} points): its classifiers learned little, and nothing is called "
            f"equivalent or identical to it")


def dataset_lead(name: str, stats: pd.DataFrame, reference: str, alpha: float, primary: str = PRIMARY_METRIC,
                 sanity: pd.DataFrame | None = None) -> str:
    """One sentence: whether ``reference`` beats chance, then which arms beat, matched or fell behind
    it in ``name`` on the ``primary`` metric (the others never decide), by how much."""
    classifier = answer_classifier(stats)
    rows = _rows_against(stats, classifier, reference)
    if rows.empty:
        return f"{name}: no arm was compared with {reference} (it is not one of the arms)."
    n = int(rows["n"].max())
    head = f"{name} ({classifier}, n = {n} paired test folds, primary metric {METRIC_NAMES.get(primary, primary)}): "
    chance = chance_note(sanity, classifier, reference)
    head += f"{chance}; " if chance else ""
    primary_rows = rows[rows["metric"] == primary]
    if (primary_rows["verdict"] == TOO_FEW).all() or n == 0:
        diffs = ", ".join(f"{r['arm']} {_pts(100 * r['mean_diff'])}" for _, r in primary_rows.iterrows())
        return (head + f"too few folds to test anything; mean differences from {reference} in "
                f"{METRIC_NAMES.get(primary, primary)}: {diffs} points, with no interval.")
    clauses: dict[str, list[str]] = {k: [] for k in KINDS}
    for _, row in primary_rows[primary_rows["verdict"] != NO_PAIRS].iterrows():
        kind, words = _arm_clause(row["arm"], row, alpha)
        clauses[kind].append(words)
    no_arm = "no arm" if chance else "No arm"  # after the chance clause, mid-sentence
    parts = clauses["beat"] or [f"{no_arm} beat {reference}" + ("" if clauses["behind"] else " or fell behind it")]
    parts += clauses["behind"]
    rope = f"±{primary_rows['rope_points'].iloc[0]:g} points"
    openers = {"small": "a difference inside the rope (real, too small to matter)",
               "matched": f"matched {reference} within {rope}", "constant": "a constant difference",
               "open": "inconclusive", "withheld": "not judged (the reference is at chance)"}
    parts += [f"{openers[kind]}: " + ", ".join(clauses[kind]) for kind in KINDS[2:] if clauses[kind]]
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
    text = ("Differences are in points (100 x the difference of the metric, on its 0-1 scale; means in tables keep "
            f"the 0-1 scale, as mean ± sd over the folds); % is relative to the reference arm's mean{claim}; [a, b] is "
            f"the {level(alpha)} confidence interval of the Nadeau-Bengio corrected resampled t-test, unadjusted; "
            "higher and lower are decided by that test after Holm's adjustment within each dataset, classifier and "
            "metric, equivalent by two one-sided tests (TOST) against the rope, Holm-adjusted too; P(within the rope) "
            "is the Bayesian correlated t-test's posterior. The chance classifier (a stratified random one) is a "
            "floor every classifier is read against: its rows get no verdict.")
    if small:
        text += (f" Where the reference's mean is below {MIN_RELATIVE_MEAN:g} ({', '.join(small)}), a relative "
                 "change divides by almost nothing and explodes, so those differences are in points only.")
    return text
