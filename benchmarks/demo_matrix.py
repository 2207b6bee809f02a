"""Does the demo tell the same story on any x86 CPU (issues I, N)? Runs a demo config once per CPU
kernel level x GAN seed, each in a fresh folder, and prints one row per cell: the GAN precision the
run chose, whether each GAN arm got accepted GAN images in >= 4 of 5 folds (80% of its folds),
whether smoteenn_cgan differs from smoteenn, the balanced set's GAN images per class, the arms'
mean f1_adaboost macro F1, the GAN arms' quality against issue I's targets (mean two-sample AUC of
the chosen class sets, mean CAS ratio at the folds' latest chosen checkpoints) and the run's time.

    .venv/bin/python benchmarks/demo_matrix.py                      # config/demo.yaml
    .venv/bin/python benchmarks/demo_matrix.py --configfile config/quick.yaml --seeds 0 1 2

Kernel levels are emulated with ATEN_CPU_CAPABILITY, ONEDNN_MAX_CPU_ISA and MKL_ENABLE_INSTRUCTIONS;
``native`` sets none of them (bf16 GANs where oneDNN has native bf16), avx512 runs only where the CPU
has it and caps oneDNN below AVX-512 BF16, so it is an fp32 cell. Writes the table to --out (TSV).
With no arguments it runs every level x 3 seeds of the 5-fold demo: 12 cells, hours on 2 cores
(8-25 minutes a cell here); pick --levels and --seeds.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

from infantfer.cgan.config import cpu_flags
from infantfer.io.tsv import as_bool, read_tsv
from infantfer.metrics import read_metrics

REPO = Path(__file__).resolve().parents[1]
LEVELS = {  # ATen capability -> oneDNN and MKL ceilings that match it
    "native": {},
    "default": {"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "SSE41", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2"},
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"},
    "avx512": {"ATEN_CPU_CAPABILITY": "avx512", "ONEDNN_MAX_CPU_ISA": "AVX512_CORE", "MKL_ENABLE_INSTRUCTIONS": "AVX512"},
}


def cpu_has_avx512() -> bool:
    return "avx512f" in cpu_flags()


def no_scontrol_path() -> str:
    """PATH with a stand-in scontrol first: where slurm-wlm is installed with no controller, the
    SLURM plugin's import would add ~9 s to the run (docs/slurm.md)."""
    shim = Path(tempfile.mkdtemp(prefix="no-scontrol-"))
    (shim / "scontrol").write_text("#!/bin/sh\nexit 1\n")
    (shim / "scontrol").chmod(0o755)
    return f"{shim}{os.pathsep}{os.environ.get('PATH', '')}"


def judge(results: Path) -> dict:
    """The cell's conclusions from one dataset's results folder."""
    counts, gate = read_tsv(results / "class_counts.tsv"), read_tsv(results / "js_divergence.tsv")
    final = counts[counts["step"] == "final"]
    row = {}
    for arm in sorted(set(gate["arm"])):
        mine = final[final["arm"] == arm]
        topped = mine.groupby(["repeat", "fold"])["cgan"].apply(lambda c: int((c.astype(int) > 0).any()))
        row[f"{arm}_folds"] = f"{int(topped.sum())}/{len(topped)}"
        row[f"{arm}_ok"] = bool(topped.sum() >= math.ceil(0.8 * len(topped)))
    metrics = read_metrics(results / "metrics.tsv")
    columns = ["macro_f1", "g_mean", "auc_ovr"]
    a = metrics[metrics["arm"] == "smoteenn"][columns].reset_index(drop=True)
    b = metrics[metrics["arm"] == "smoteenn_cgan"][columns].reset_index(drop=True)
    row["smoteenn_cgan_differs"] = not a.equals(b)
    row.update(chosen_quality(results, gate))
    balanced = read_tsv(results / "balanced" / "manifest.tsv")
    gan = balanced[balanced["source"] == "cgan"]
    row["balanced_gan_images"] = " ".join(f"{c}:{n}" for c, n in gan["label"].value_counts().sort_index().items()) or "0"
    precision = json.loads((results / "provenance.json").read_text()).get("gan_precision", {})
    row["precision"] = " ".join(f"{k}:{v}" for k, v in sorted(precision.items()))
    method = metrics[metrics["classifier"] == "f1_adaboost"]
    row.update({f"f1_{arm}": round(v, 3) for arm, v in method.groupby("arm")["macro_f1"].mean().items()})
    return row


def chosen_quality(results: Path, gate: pd.DataFrame) -> dict:
    """Issue I's targets per GAN arm, over its fold GANs: the mean two-sample AUC of the chosen class
    sets, and the mean CAS ratio at each fold's latest chosen checkpoint."""
    quality = read_tsv(results / "gan_quality.tsv")
    chosen = gate[as_bool(gate["chosen"])]
    chosen = chosen[chosen["fold"].astype(str) != "all"]
    row = {}
    for arm, sets in chosen.groupby("arm"):
        row[f"{arm}_auc"] = round(float(sets["c2st_auc"].astype(float).mean()), 2)
        latest = sets.groupby(["repeat", "fold"])["checkpoint"].apply(lambda c: c.astype(int).max())
        mine = quality[quality["arm"] == arm].astype({"repeat": str, "fold": str, "checkpoint": int})
        ratios = [mine[(mine["repeat"] == str(r)) & (mine["fold"] == str(f)) & (mine["checkpoint"] == step)]["cas_ratio"]
                  for (r, f), step in latest.items()]
        row[f"{arm}_cas"] = round(float(pd.concat(ratios).astype(float).mean()), 2) if ratios else None
    return row


KEPT = ("class_counts.tsv", "js_divergence.tsv", "gan_quality.tsv", "metrics.tsv", "provenance.json",
        "balanced/gate.tsv")  # the balanced set's GAN: why a class got no images


def run_cell(level: str, seed: int, configfile: str | None, cores: int, keep: Path | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"matrix-{level}-{seed}-") as tmp:
        tmp = Path(tmp)
        (tmp / "config").mkdir()
        shutil.copy(REPO / "config" / "config.yaml", tmp / "config" / "config.yaml")
        (tmp / "seed.yaml").write_text(yaml.safe_dump({"cgan": {"seed": seed}}))
        files = [str(REPO / configfile)] if configfile else []
        env = {**os.environ, **LEVELS[level], "PATH": no_scontrol_path()}
        cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--cores", str(cores),
               "--configfile", *files, "seed.yaml", "--quiet"]
        start = time.perf_counter()
        done = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if done.returncode:
            return {"level": level, "seed": seed, "seconds": round(seconds), "error": done.stderr[-400:]}
        (dataset,) = [p for p in (tmp / "results").iterdir() if (p / "metrics.tsv").is_file()]
        if keep:  # the cell's tables, for reading its curves later
            (keep / f"{level}_{seed}").mkdir(parents=True, exist_ok=True)
            for name in KEPT:
                if (dataset / name).is_file():
                    shutil.copy(dataset / name, keep / f"{level}_{seed}" / name.replace("/", "_"))
        return {"level": level, "seed": seed, "seconds": round(seconds), **judge(dataset)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configfile", default=None, help="a demo config beside config/config.yaml (default: the demo)")
    ap.add_argument("--levels", nargs="+", default=[lv for lv in LEVELS if lv != "avx512" or cpu_has_avx512()])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--keep", type=Path, default=None, help="copy each cell's result tables under this folder")
    args = ap.parse_args()
    rows = []
    for level in args.levels:
        for seed in args.seeds:
            rows.append(run_cell(level, seed, args.configfile, args.cores, args.keep))
            print(pd.DataFrame(rows[-1:]).to_string(index=False), flush=True)
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    if args.out:
        table.to_csv(args.out, sep="\t", index=False)


if __name__ == "__main__":
    main()
