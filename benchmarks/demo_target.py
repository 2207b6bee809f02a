"""Does a demo run show the method? Checks issue F's target on a run's outputs:

- for each GAN arm, in at least 2 of 3 folds class_counts.tsv has GAN images for a class whose
  chosen row in js_divergence.tsv has js_judged true;
- smoteenn_cgan's metrics differ from smoteenn's;
- the balanced set holds GAN images;
- the original arm's f1_adaboost macro F1 lies between 0.5 and 0.95.

    .venv/bin/python benchmarks/demo_target.py results/demo
"""
from __future__ import annotations

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
    chosen = js[js["chosen"].astype(str) == "True"]
    for arm in sorted(set(js["arm"])):
        folds = []
        for (repeat, fold), table in final[final["arm"] == arm].groupby(["repeat", "fold"]):
            judged = set(chosen[(chosen["arm"] == arm) & (chosen["repeat"].astype(str) == str(repeat))
                                & (chosen["fold"].astype(str) == str(fold))
                                & (chosen["js_judged"].astype(str) == "True")]["class"])
            topped = set(table.loc[table["cgan"].astype(int) > 0, "label"])
            folds.append(sorted(topped & judged))
        hits = sum(bool(f) for f in folds)
        print(f"{arm}: GAN images for a JS-judged accepted class in {hits}/{len(folds)} folds {folds}")
        ok &= hits >= 2
    a = metrics[metrics["arm"] == "smoteenn"].reset_index(drop=True)
    b = metrics[metrics["arm"] == "smoteenn_cgan"].reset_index(drop=True)
    differ = not a[["macro_f1", "g_mean", "auc_ovr"]].equals(b[["macro_f1", "g_mean", "auc_ovr"]])
    print(f"smoteenn_cgan's metrics differ from smoteenn's: {differ}")
    balanced = read_tsv(root / "balanced" / "manifest.tsv")
    n_gan = int((balanced["source"] == "cgan").sum())
    print(f"balanced set: {len(balanced)} images, {n_gan} from the GAN: "
          f"{balanced.groupby(['label', 'source']).size().to_dict()}")
    f1 = metrics[(metrics["arm"] == "original") & (metrics["classifier"] == "f1_adaboost")]["macro_f1"].mean()
    print(f"original arm, f1_adaboost macro F1: {f1:.3f}")
    summary = metrics.groupby(["arm", "classifier"], sort=False)[["macro_f1", "g_mean", "auc_ovr"]].mean().round(3)
    print(summary.to_string())
    ok &= differ and n_gan > 0 and 0.5 <= f1 <= 0.95
    print("target met" if ok else "target NOT met")
    return ok


if __name__ == "__main__":
    sys.exit(0 if all([check(Path(p)) for p in sys.argv[1:]]) else 1)
