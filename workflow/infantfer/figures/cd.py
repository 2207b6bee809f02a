"""The critical-difference diagram of the arms over datasets (Demsar 2006)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ..statistics.paired import ALPHA
from .style import Drawn, _arm_colours, _placeholder, _pyplot, _save

log = logging.getLogger(__name__)


def cd_diagram(mean_ranks: pd.Series, pvalues: pd.DataFrame, out_png, title: str = "", alpha: float = ALPHA,
               cd: float | None = None) -> Drawn:
    """The critical-difference diagram (Demsar 2006): arms by mean rank (1 = best, left), arms joined
    by a bar are not told apart at ``alpha``; look for bars that do not join.

    ``mean_ranks``: arm -> mean rank over the folds; ``pvalues``: a p-value matrix (arms x arms;
    the workflow's holds each arm's Holm-adjusted Wilcoxon p-value against the reference); a
    missing p-value counts as not significant. ``cd``: the critical difference, drawn as a bar when given.
    Returns ``data``: the arms with their mean rank, best first.
    """
    ranks = pd.Series(mean_ranks, dtype=float).dropna()
    ranks.index = ranks.index.astype(str)
    if len(ranks) < 2:
        return _placeholder(out_png, "fewer than two arms to rank", title=title)
    import scikit_posthocs as sp

    plt = _pyplot()
    p = pd.DataFrame(pvalues).copy()
    p.index, p.columns = p.index.astype(str), p.columns.astype(str)
    values = p.reindex(index=ranks.index, columns=ranks.index).to_numpy(dtype=float, copy=True)
    values = np.nan_to_num(values, nan=1.0)  # a missing p-value: not significant
    np.fill_diagonal(values, 1.0)
    values = np.minimum(values, values.T)  # symmetric, whatever rounding gave
    p = pd.DataFrame(values, index=ranks.index, columns=ranks.index)
    longest = max(len(a) for a in ranks.index)
    fig, ax = plt.subplots(figsize=(max(6.0, 3.5 + 0.16 * longest * 2), 1.0 + 0.32 * len(ranks)))
    sp.critical_difference_diagram(ranks, p, alpha=alpha, ax=ax, cd=cd,
                                   label_fmt_left="{label} ({rank:.2f})", label_fmt_right="({rank:.2f}) {label}",
                                   label_props={"fontsize": 9}, text_h_margin=0.02,
                                   color_palette=_arm_colours(ranks.index))  # the arms' colours elsewhere
    heading = f"mean rank (1 = best); a bar joins arms not told apart at alpha {alpha}"
    fig.suptitle(f"{title}\n{heading}" if title else heading, fontsize=9)
    fig.tight_layout()
    data = ranks.sort_values().rename("mean_rank").rename_axis("arm").reset_index()
    return Drawn(_save(fig, out_png), data=data, extra={"pvalues": p})


def draw_cd(metrics: pd.DataFrame, classifier: str, metric: str, arms: list[str], out_png,
            reference: str = "original") -> pd.Series:
    """Rule cd_diagram: the diagram of one classifier and metric from the datasets' metrics (a
    diagram saying so when fewer than 3 datasets have every arm); returns the mean ranks. The
    tests are each arm's against ``reference`` (Wilcoxon over the datasets, Holm across the arms)."""
    from ..statistics import reference_tests

    result = reference_tests(metrics, classifier, metric, arms, reference)
    if result is None:  # fewer than 3 datasets with a value for every common arm: a diagram saying so
        log.warning("no critical-difference diagram for %s, %s: fewer than 3 datasets have every common arm %s",
                    classifier, metric, arms)
        result = (pd.Series(dtype=float, name="mean_rank"), pd.DataFrame())
    ranks, pvalues = result
    cd_diagram(ranks, pvalues, out_png, title=f"{classifier}, {metric}")
    return ranks
