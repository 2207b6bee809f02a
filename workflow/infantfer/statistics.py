"""Statistics over the folds' metrics: what the comparison of the arms says.

Computed from ``metrics.tsv`` alone, never by refitting; imports only pandas, so the jobs that
summarise start in a fraction of a second.
"""

from __future__ import annotations

import pandas as pd

METRICS = ["macro_f1", "g_mean", "auc_ovr"]  # the columns of metrics.tsv that are metrics


def summarise(metrics: pd.DataFrame) -> pd.DataFrame:
    """dataset, arm, classifier, n (folds with a value), and mean and sd (ddof=1) of each metric."""
    grouped = metrics.groupby(["dataset", "arm", "classifier"], sort=False)
    table = grouped[METRICS[0]].count().rename("n").to_frame()
    for m in METRICS:
        table[f"{m}_mean"] = grouped[m].mean()
        table[f"{m}_sd"] = grouped[m].std(ddof=1)
    return table.reset_index()
