"""How often a run's GAN sets pass the gate, with and without the sharpness check (and with the
two-sample test added), recomputed from the per-check verdicts in its js_divergence.tsv files.

    .venv/bin/python benchmarks/gate_pass_rates.py results/demo [results/demo_quick ...]

A class set "passes" in a fold when at least one of its checkpoints passes; the counts are over
arm x fold x class.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from infantfer.io.tsv import read_tsv

CRITERIA = {
    "js": ["js"],
    "js + fidelity": ["js", "fidelity"],
    "js + fidelity + sharpness (default)": ["js", "fidelity", "sharpness"],
    "+ c2st": ["js", "fidelity", "sharpness", "c2st"],
}


def as_bool(column: pd.Series) -> pd.Series:
    return column.astype(str) == "True"


def passes(table: pd.DataFrame, criteria: list[str]) -> pd.Series:
    """The gate's rule: every deciding check that judges a class passes, and at least one judges."""
    judged_js = as_bool(table["js_judged"])
    judges = {"js": judged_js, "fidelity": pd.Series(True, index=table.index),
              "sharpness": pd.Series(True, index=table.index),
              "c2st": judged_js & pd.to_numeric(table["c2st_baseline"], errors="coerce").notna()}
    ok = pd.Series(True, index=table.index)
    any_judge = pd.Series(False, index=table.index)
    for c in criteria:
        ok &= ~judges[c] | as_bool(table[f"{c}_ok"])
        any_judge |= judges[c]
    return ok & any_judge


def main(paths: list[str]) -> None:
    rows = []
    for path in paths:
        table = read_tsv(Path(path) / "js_divergence.tsv")
        table = table[table["fold"].astype(str) != "all"]
        for name, criteria in CRITERIA.items():
            table["p"] = passes(table, criteria)
            sets = table.groupby(["arm", "repeat", "fold", "class"])["p"].any()
            judged = table.groupby(["arm", "repeat", "fold", "class"])["js_judged"].first().pipe(as_bool)
            for arm, s in sets.groupby(level="arm"):
                rows.append({"run": str(path), "arm": arm, "criteria": name,
                             "class sets passing": f"{int(s.sum())}/{len(s)}",
                             "JS-judged passing": f"{int(s[judged[s.index]].sum())}/{int(judged[s.index].sum())}"})
    out = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_rows", 200):
        print(out.to_string(index=False))


if __name__ == "__main__":
    main(sys.argv[1:])
