"""The demo's figures for docs/demo-results.md, from a run's results, never typed by hand (issue I).

    .venv/bin/python benchmarks/demo_figures.py results/demo [--write docs/demo-results.md]

Prints a Markdown block: the machine (CPU model, torch's CPU capability, the ISA variables), the
arms' mean +- sd over the folds, where the GAN images went, the balanced set, and the GAN's quality
at its last checkpoint. With --write it replaces the block between this dataset's markers in that
file (<!-- demo_figures: NAME --> ... <!-- /demo_figures: NAME -->).
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pandas as pd

from infantfer.io.tsv import as_bool, read_numeric_tsv, read_tsv
from infantfer.metrics import read_metrics
from infantfer.method import METHOD_CLASSIFIER
from infantfer.metrics import METRICS


def machine(root: Path) -> str:
    device = json.loads((root / "provenance.json").read_text())["device"]
    isa = device.get("isa_variables") or {}
    variables = ", ".join(f"{k}={v}" for k, v in isa.items()) or "none set"
    return (f"Run on {device.get('cpu_model', '?')} ({device.get('cpu_count')} cores), torch CPU capability "
            f"{device.get('torch_cpu_capability', '?')}, ISA variables: {variables}.")


def arms_table(root: Path) -> list[str]:
    m = read_metrics(root / "metrics.tsv")
    m = m[m["classifier"] == METHOD_CLASSIFIER]
    rows = ["| arm | " + " | ".join(f"{METHOD_CLASSIFIER} {x}" for x in METRICS) + " |", "|---" * (1 + len(METRICS)) + "|"]
    for arm, t in m.groupby("arm", sort=False):
        rows.append(f"| {arm} | " + " | ".join(f"{t[x].mean():.3f} ± {t[x].std(ddof=1):.3f}" for x in METRICS) + " |")
    return rows


def gan_images(root: Path) -> list[str]:
    counts, gate = read_tsv(root / "class_counts.tsv"), read_numeric_tsv(root / "js_divergence.tsv")
    final = counts[counts["step"] == "final"]
    rows = ["| GAN arm | fold | classes topped up with GAN images (images) | chosen checkpoints |", "|---|---|---|---|"]
    for arm in dict.fromkeys(gate["arm"]):
        for (repeat, fold), t in final[final["arm"] == arm].groupby(["repeat", "fold"]):
            added = {r.label: int(r.cgan) for r in t.itertuples() if int(r.cgan) > 0}
            g = gate[(gate["arm"] == arm) & (gate["repeat"].astype(str) == str(repeat)) & (gate["fold"].astype(str) == str(fold))]
            chosen = g[as_bool(g["chosen"]).to_numpy()]
            steps = ", ".join(f"{r['class']} {int(r['checkpoint'])}" for _, r in chosen.iterrows()) or "none passed"
            topped = ", ".join(f"{c} ({n})" for c, n in added.items()) or "none"
            rows.append(f"| {arm} | r{repeat} f{fold} | {topped} | {steps} |")
    return rows


def balanced(root: Path) -> list[str]:
    classes = read_numeric_tsv(root / "balanced_classes.tsv")
    arm = classes["arm"].iloc[0]
    parts = [f"{r.label}: {int(r.real_kept)} of {int(r.real_available)} real + {int(r.cgan)} GAN" for r in classes.itertuples()]
    return [f"Balanced set (the {arm} arm's recipe): " + "; ".join(parts) + "."]


def quality(root: Path) -> list[str]:
    path = root / "gan_quality.tsv"
    if not path.is_file():
        return []
    q = read_numeric_tsv(path)
    last = q[q["checkpoint"] == q.groupby(["arm", "repeat", "fold"])["checkpoint"].transform("max")]
    rows = ["| GAN arm | CAS ratio (last checkpoint, folds) | no-skill CAS ratio | two-sample AUC | membership AUC |",
            "|---|---|---|---|---|"]
    for arm, t in last.groupby("arm", sort=False):
        rows.append(f"| {arm} | {t['cas_ratio'].min():.2f}-{t['cas_ratio'].max():.2f} | "
                    f"{t['trivial_cas_ratio'].min():.2f}-{t['trivial_cas_ratio'].max():.2f} | "
                    f"{t['c2st_auc_mean'].min():.2f}-{t['c2st_auc_mean'].max():.2f} | "
                    f"{t['mia_auc_pixels'].min():.2f}-{t['mia_auc_pixels'].max():.2f} |")
    return rows


def block(root: Path) -> str:
    lines = [machine(root), "", *arms_table(root), "", *gan_images(root), "", *balanced(root)]
    if quality(root):
        lines += ["", *quality(root)]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", type=Path, help="results/<dataset>")
    ap.add_argument("--write", type=Path, default=None)
    args = ap.parse_args()
    text = block(args.results)
    print(text)
    if args.write:
        name = args.results.name
        start, end = f"<!-- demo_figures: {name} -->", f"<!-- /demo_figures: {name} -->"
        doc = args.write.read_text()
        new = f"{start}\n{text}\n{end}"
        doc = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: new, doc, flags=re.S) if start in doc \
            else doc.rstrip() + "\n\n" + new + "\n"
        args.write.write_text(doc)


if __name__ == "__main__":
    main()
