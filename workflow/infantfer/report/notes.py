"""What the answer says beside the comparisons: the checks before the verdicts (``sanity.tsv``), the
exported balanced set's recipe, and how the GANs' training moved."""

from __future__ import annotations

import pandas as pd

from ..metrics import METRICS
from .text import METRIC_NAMES, _num, level


def check_sentences(sanity: pd.DataFrame | None, facts: dict) -> tuple[list[str], list[str]]:
    """The checks before the verdicts in words (``sanity.tsv``): whether the reference beats chance
    per classifier, and each metric's resolution beside its rope; and, apart, what degenerated (a
    class ENN removed, a gate that could not refuse a class), for the warning."""
    if sanity is None or sanity.empty:
        return [], []
    checks, degenerate = [], []
    for r in sanity.itertuples():
        if r.check == "beats_chance":
            name = METRIC_NAMES.get(r.metric, r.metric)
            verdict = {"True": "beats chance", "False": "does NOT beat chance"}.get(str(r.passed), "cannot be checked")
            checks.append(f"{facts['reference']} with {r.subject} {verdict} on {name}: {r.reference_mean:.3f} against "
                          f"{r.chance_mean:.3f} expected of a stratified random classifier (one-sided "
                          f"{level(facts['alpha'])} lower bound of the difference {_num(100 * r.lower_bound, 1, sign=True)} "
                          "points).")
        elif r.check == "resolution":
            name = METRIC_NAMES.get(r.metric, r.metric)
            checks.append(f"{name}: one test prediction moves it by a median {r.median_points:.1f} points on a fold "
                          f"(at most {r.max_points:.1f}), beside a rope of ±{r.rope_points:g}.")
        else:
            degenerate.append(f"{r.subject}: {r.detail}.")
    return checks, degenerate


def balanced_sentence(dataset: str, classes: pd.DataFrame, metrics: pd.DataFrame, classifier: str) -> str:
    """Which arm's recipe the exported balanced set follows, how that arm scored over the folds,
    and how many of the user's real photos the recipe kept."""
    arm = str(classes["arm"].iloc[0])
    f1 = metrics.loc[(metrics["arm"] == arm) & (metrics["classifier"] == classifier), METRICS[0]]
    scored = (f"scored {METRIC_NAMES[METRICS[0]]} {_num(f1.mean())} ± {_num(f1.std(ddof=1))} (mean ± sd over the "
              f"folds, {classifier})" if len(f1) else "was not evaluated")
    kept, available = int(classes["real_kept"].sum()), int(classes["real_available"].sum())
    gan = int(classes["cgan"].sum()) if "cgan" in classes else 0
    dropped = classes[classes["real_kept"] < classes["real_available"]]
    photos = (f"it keeps all {available} real photos" if dropped.empty else
              f"it keeps {kept} of the {available} real photos, dropping "
              + ", ".join(f"{int(r.real_available - r.real_kept)} of {int(r.real_available)} {r.label}"
                          for r in dropped.itertuples()) + " (that recipe's cleaning)")
    why = str(classes["why"].iloc[0]) if "why" in classes and isinstance(classes["why"].iloc[0], str) else ""
    balance = classes["total"].min() / classes["total"].max() if classes["total"].max() else float("nan")
    return (f"The exported balanced set (results/{dataset}/balanced) follows the {arm} arm's recipe"
            + (f" ({why})" if why else "") + f", which {scored}; {photos}, and adds {gan} GAN images; its smallest "
            f"class holds {balance:.2f} of the largest's images.")


TREND_WORDS = {  # infantfer.quality.training_trend's verdicts, as what happened and the advice
    "far": ("drew images still told from real almost perfectly when training stopped",
            "more steps (cgan.steps) or a larger recipe are needed before they can pass the gate"),
    "improving": ("were still improving when training stopped", "more steps (cgan.steps) may make them better"),
    "worse": ("got worse over the last third of training", "more steps are unlikely to help"),
    "mixed": ("moved both ways over the last third of training", "no clear sign that more steps would help"),
    "levelled": ("had levelled off", "more steps are unlikely to help"),
}


def gan_trend_sentence(trend: pd.DataFrame) -> str | None:
    """How each GAN arm's fold GANs moved over the last third of training: how many steps the user's
    data needs, read from the run itself; and how far their images are from real by the test with
    power (local edges and texture)."""
    parts = []
    for r in trend.itertuples():
        happened, advice = TREND_WORDS[r.trend]
        texture = getattr(r, "texture_to", float("nan"))
        told = (f"; at the last checkpoint their images are told from their real training images at AUC "
                f"{texture:.2f} by local edge and texture features (0.5: not told apart)" if texture == texture else "")
        parts.append(f"the {r.arm} arm's GANs {happened} (from step {r.from_step:,} to {r.to_step:,} the mean "
                     f"two-sample AUC on pixels went {r.auc_from:.2f} -> {r.auc_to:.2f} and the CAS ratio "
                     f"{r.cas_from:.2f} -> {r.cas_to:.2f}{told}): {advice}")
    if not parts:
        return None
    return ("GAN training (gan_quality.tsv: the gate's two-sample AUCs, and the CAS ratio on the folds' test images; "
            "advice only, nothing decides by it): " + "; ".join(parts) + ".")


def per_class_sentence(per_class: pd.DataFrame | None, classifier: str, reference: str, alpha: float) -> str | None:
    """The class whose recall an arm raised most, and the one it lowered most, against the
    reference (exploratory: per_class_statistics.tsv)."""
    from ..statistics.per_class import most_moved

    if per_class is None or per_class.empty:
        return None
    up, down = most_moved(per_class, classifier, reference)
    if up is None and down is None:
        return None

    def said(r: pd.Series, verb: str) -> str:
        ci = (f" [{_num(100 * r['ci_low'], 1, sign=True)}, {_num(100 * r['ci_high'], 1, sign=True)}]"
              if r["ci_low"] == r["ci_low"] else "")
        missing = f"; n = {int(r['n'])} of {int(r['folds'])} folds" if r["n"] < r["folds"] else ""
        return (f"{r['arm']} {verb} {r['class']}'s recall most, by {_num(100 * abs(r['mean_diff']), 1)} points"
                f"{ci} ({r['verdict']}{missing})")

    parts = [said(r, v) for r, v in ((up, "raised"), (down, "lowered")) if r is not None]
    return (f"Per class (exploratory, {classifier}, recall against {reference}, {level(alpha)} CIs, Holm over the "
            f"classes of each arm; per_class_statistics.tsv): " + "; ".join(parts) + ".")
