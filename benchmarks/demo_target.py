"""Does a demo run show the method? Checks issue N's target on a run's outputs:

- at least 5 paired test folds (an answer with intervals);
- for each GAN arm, in at least 80% of the folds (4 of 5) class_counts.tsv has GAN images that
  the gate accepted (issue F counted only classes JS judged; the demo's neutral, 15-17 training
  images a fold beside gate.min_images 16, is judged without JS where it has fewer, as the gate does);
- smoteenn_cgan's metrics differ from smoteenn's;
- the balanced set keeps every real photo and holds GAN images for each class it tops up
  (the minority classes);
- the original arm's f1_adaboost macro F1 lies between 0.5 and 0.95 (neither trivial nor at chance).
Each condition is printed with what the run measured; the exit status is 0 when all hold.

    .venv/bin/python benchmarks/demo_target.py results/demo
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

import pandas as pd

from infantfer.metrics import read_metrics
from infantfer.io.tsv import read_tsv


def check(root: Path) -> bool:
    counts, js = read_tsv(root / "class_counts.tsv"), read_tsv(root / "js_divergence.tsv")
    metrics = read_metrics(root / "metrics.tsv")
    ok = True
    final = counts[counts["step"] == "final"]
    n_folds = len(final[["repeat", "fold"]].drop_duplicates())
    print(f"paired test folds: {n_folds} (>= 5 needed)")
    ok &= n_folds >= 5
    chosen = js[js["chosen"].astype(str) == "True"]
    for arm in sorted(set(js["arm"])):
        folds = []
        for (repeat, fold), table in final[final["arm"] == arm].groupby(["repeat", "fold"]):
            accepted = set(chosen[(chosen["arm"] == arm) & (chosen["repeat"].astype(str) == str(repeat))
                                  & (chosen["fold"].astype(str) == str(fold))]["class"])
            topped = set(table.loc[table["cgan"].astype(int) > 0, "label"])
            folds.append(sorted(topped & accepted))
        hits = sum(bool(f) for f in folds)
        need = math.ceil(0.8 * n_folds)  # of all the run's folds: an arm missing folds does not pass
        print(f"{arm}: accepted GAN images in {hits}/{len(folds)} folds (>= {need} needed) {folds}")
        ok &= hits >= need
    a = metrics[metrics["arm"] == "smoteenn"].reset_index(drop=True)
    b = metrics[metrics["arm"] == "smoteenn_cgan"].reset_index(drop=True)
    differ = not a[["macro_f1", "g_mean", "auc_ovr"]].equals(b[["macro_f1", "g_mean", "auc_ovr"]])
    print(f"smoteenn_cgan's metrics differ from smoteenn's: {differ}")
    classes = read_tsv(root / "balanced_classes.tsv")
    all_real = bool((classes["real_kept"].astype(int) == classes["real_available"].astype(int)).all())
    topped_up = classes[classes["real_available"].astype(int) < classes["target"].astype(int)]
    without = sorted(topped_up.loc[topped_up["cgan"].astype(int) == 0, "label"])
    print(f"balanced set: every real photo kept: {all_real}; GAN images per class "
          f"{dict(zip(classes['label'], classes['cgan'].astype(int)))}; classes to top up with none: {without or 'none'}")
    f1 = metrics[(metrics["arm"] == "original") & (metrics["classifier"] == "f1_adaboost")]["macro_f1"].mean()
    print(f"original arm, f1_adaboost macro F1: {f1:.3f}")
    summary = metrics.groupby(["arm", "classifier"], sort=False)[["macro_f1", "g_mean", "auc_ovr"]].mean().round(3)
    print(summary.to_string())
    ok &= differ and all_real and not without and 0.5 <= f1 <= 0.95
    print("target met" if ok else "target NOT met")
    return ok


if __name__ == "__main__":
    sys.exit(0 if all([check(Path(p)) for p in sys.argv[1:]]) else 1)
