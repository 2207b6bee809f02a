"""Per class, exploratory (``per_class_statistics.tsv``): balancing exists for the minority classes,
and macro F1 can hide a trade (one class's recall up, another's down). Per dataset x classifier x
class x (arm, baseline) pair: the paired difference of the class's recall over the folds, its
corrected-t CI and p-value, Holm's adjustment over the classes of one dataset x classifier x pair.
A fold without test images of the class gives no pair (its recall is undefined): ``n`` says how many
folds count. Exploratory: these verdicts never decide the answer; they show where a change came from.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .compare import HIGHER, INCONCLUSIVE, LOWER, MIN_PAIRS, TOO_FEW
from .paired import ALPHA, corrected_ttest, holm_adjust

PER_CLASS_COLUMNS = ["dataset", "classifier", "class", "arm", "baseline", "n", "folds", "arm_mean", "baseline_mean",
                     "mean_diff", "ci_low", "ci_high", "p_corrected", "p_holm", "verdict"]


def compare_classes(per_class: pd.DataFrame, pairs: Sequence[tuple[str, str]], folds: int, alpha: float = ALPHA,
                    sanity: Sequence[str] = ()) -> pd.DataFrame:
    """The per-class recall comparisons of ``per_class_f1.tsv`` (columns dataset, arm, classifier,
    repeat, fold, class, recall, support) for each (arm, baseline) of ``pairs``."""
    rows = []
    ratio = 1.0 / (folds - 1)
    counted = per_class[per_class["support"] > 0]  # no test image of the class: its recall is undefined
    for (dataset, classifier), block in counted.groupby(["dataset", "classifier"], sort=False):
        if classifier in sanity:
            continue
        wide = block.pivot_table(index=["repeat", "fold", "class"], columns="arm", values="recall")
        all_folds = len(per_class.loc[per_class["dataset"] == dataset, ["repeat", "fold"]].drop_duplicates())
        for arm, baseline in pairs:
            if arm not in wide or baseline not in wide:
                continue
            family = []
            for label, mine in wide[[arm, baseline]].dropna().groupby(level="class", sort=True):
                differences = (mine[arm] - mine[baseline]).to_numpy(float)
                row = {"dataset": dataset, "classifier": classifier, "class": label, "arm": arm, "baseline": baseline,
                       "n": len(differences), "folds": all_folds, "arm_mean": float(mine[arm].mean()),
                       "baseline_mean": float(mine[baseline].mean()), "mean_diff": float(differences.mean()),
                       "ci_low": np.nan, "ci_high": np.nan, "p_corrected": np.nan, "verdict": TOO_FEW}
                if len(differences) >= MIN_PAIRS and differences.std() > 0:
                    test = corrected_ttest(differences, ratio, alpha)
                    row.update(ci_low=test["ci_low"], ci_high=test["ci_high"], p_corrected=test["p"], verdict=None)
                elif len(differences) >= MIN_PAIRS:
                    row.update(ci_low=row["mean_diff"], ci_high=row["mean_diff"], verdict="constant difference")
                family.append(row)
            for row, p_holm in zip(family, holm_adjust([r["p_corrected"] for r in family])):
                row["p_holm"] = p_holm
                if row["verdict"] is None:
                    row["verdict"] = (HIGHER if row["mean_diff"] > 0 else LOWER) if p_holm < alpha else INCONCLUSIVE
            rows += family
    return pd.DataFrame(rows, columns=PER_CLASS_COLUMNS)


def most_moved(table: pd.DataFrame, classifier: str, reference: str) -> tuple[pd.Series | None, pd.Series | None]:
    """The comparisons with ``reference`` whose class recall rose most and fell most (None where
    none rose or fell), for the answer's sentence."""
    mine = table[(table["classifier"] == classifier) & (table["baseline"] == reference)].dropna(subset=["mean_diff"])
    if mine.empty:
        return None, None
    up, down = mine.loc[mine["mean_diff"].idxmax()], mine.loc[mine["mean_diff"].idxmin()]
    return (up if up["mean_diff"] > 0 else None), (down if down["mean_diff"] < 0 else None)
