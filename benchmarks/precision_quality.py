"""Are bf16 GANs as good as fp32 ones (issue N, item 4)? Reads the cells that
``demo_matrix.py --keep DIR`` kept (DIR/<level>_<seed>/gan_quality.tsv and provenance.json), groups
them by the precision their GANs trained in, and prints, per GAN arm and checkpoint, each cell's
mean over its folds of the quality measures beside the fp32 cells' fold-to-fold range (every fold
of every fp32 cell), and whether the bf16 cell's mean lies inside it.

    .venv/bin/python benchmarks/precision_quality.py KEEP_DIR [KEEP_DIR ...] [--checkpoints 2000 2500 3000]

A cell counts once however many DIRs hold it (the same level and seed); cells whose GANs trained
in more than one precision are left out, with a line that says so.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

MEASURES = {"c2st_auc_mean": "pixel AUC", "texture_auc_mean": "texture AUC",
            "texture_auc_heldout_mean": "texture AUC, held-out", "cas_ratio": "CAS ratio"}


def read_cells(dirs: list[Path]) -> pd.DataFrame:
    frames, seen = [], set()
    for keep in dirs:
        for cell in sorted(p for p in keep.iterdir() if (p / "gan_quality.tsv").is_file()):
            if cell.name in seen:
                continue
            precisions = json.loads((cell / "provenance.json").read_text()).get("gan_precision", {})
            if len(precisions) != 1:
                print(f"left out {cell}: its GANs trained in {precisions or 'no recorded precision'}", file=sys.stderr)
                continue
            seen.add(cell.name)
            q = pd.read_csv(cell / "gan_quality.tsv", sep="\t")
            frames.append(q.assign(cell=cell.name, precision=next(iter(precisions))))
    if not frames:
        raise SystemExit(f"no kept cells with gan_quality.tsv under {', '.join(map(str, dirs))}")
    return pd.concat(frames, ignore_index=True)


def fp32_ranges(q: pd.DataFrame, checkpoints: list[int]) -> pd.DataFrame:
    """Per arm x checkpoint, each measure's min and max over every fold of every fp32 cell."""
    q = q[(q["precision"] == "fp32") & q["checkpoint"].isin(checkpoints)]
    return q.groupby(["arm", "checkpoint"])[list(MEASURES)].agg(["min", "max"])


def compare(q: pd.DataFrame, checkpoints: list[int]) -> pd.DataFrame:
    fp32 = fp32_ranges(q, checkpoints)
    q = q[q["checkpoint"].isin(checkpoints)]
    rows = []
    for (cell, precision, arm, step), g in q.groupby(["cell", "precision", "arm", "checkpoint"]):
        row = {"cell": cell, "precision": precision, "arm": arm, "checkpoint": step, "folds": len(g)}
        for m in MEASURES:
            mean = g[m].mean()
            row[m] = round(mean, 3)
            if (arm, step) in fp32.index:
                lo, hi = fp32.loc[(arm, step), (m, "min")], fp32.loc[(arm, step), (m, "max")]
                row[f"{m}_in_fp32_range"] = bool(lo <= mean <= hi)
        rows.append(row)
    return pd.DataFrame(rows).sort_values(["arm", "checkpoint", "precision", "cell"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("keep", type=Path, nargs="+")
    ap.add_argument("--checkpoints", type=int, nargs="+", default=[2000, 2500, 3000])
    args = ap.parse_args(argv)
    q = read_cells(args.keep)
    print("fp32 fold-to-fold range (every fold of every fp32 cell):")
    print(fp32_ranges(q, args.checkpoints).round(3).to_string())
    print()
    print(compare(q, args.checkpoints).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
