"""How long `snakemake -n` takes to plan a large study, and how many jobs it plans.

Six demo-sized datasets (drawn: no images on disk), 10 repeats x 5 folds, the four default arms:
the scale of a thesis-sized comparison. Each plan starts a fresh snakemake in a fresh folder (no
results yet, so every job is planned); the best and median of ``--runs`` are printed, beside the
start-up of snakemake itself (`snakemake --version`), which every plan pays.

    .venv/bin/python benchmarks/plan_dag.py [--runs 3] [--repeats 10] [--folds 5] [--datasets 6]

Target: the plan within 10 s on 2 cores.

Where SLURM's client is installed but no controller answers, snakemake-executor-plugin-slurm's
`scontrol show config` at start-up waits 9 s; the plan is then timed with a stand-in scontrol that
fails at once (and the script says so), because that wait is the machine's, not the workflow's.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
TARGET_S = 10.0


def study(datasets: int, repeats: int, folds: int) -> dict:
    return {
        "datasets": {f"demo{i}": {"layout": "demo", "seed": i, "faces": {"detector": "none", "size": 16}}
                     for i in range(1, datasets + 1)},
        "split": {"folds": folds, "repeats": repeats},
    }


def environment(scratch: Path) -> tuple[dict, str]:
    env = dict(os.environ)
    if not shutil.which("scontrol"):
        return env, "no SLURM client here"
    probe = subprocess.run(["scontrol", "ping"], capture_output=True, text=True, timeout=60)
    if probe.returncode == 0 and "UP" in probe.stdout:
        return env, "a SLURM controller answers"
    (scratch / "bin").mkdir()
    (scratch / "bin" / "scontrol").write_text("#!/bin/sh\nexit 1\n")
    (scratch / "bin" / "scontrol").chmod(0o755)
    env["PATH"] = f"{scratch / 'bin'}{os.pathsep}{env['PATH']}"
    return env, "SLURM installed, no controller: timed with a stand-in scontrol (the real one waits 9 s)"


def timed(cmd: list[str], cwd: Path, env: dict) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{result.stderr[-3000:]}")
    return seconds, result.stdout + result.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--datasets", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()

    snakemake = [sys.executable, "-m", "snakemake"]
    with tempfile.TemporaryDirectory(prefix="plan-dag-") as tmp:
        scratch = Path(tmp)
        env, note = environment(scratch)
        (scratch / "study.yaml").write_text(yaml.safe_dump(study(args.datasets, args.repeats, args.folds)))
        startup = min(timed([*snakemake, "--version"], scratch, env)[0] for _ in range(args.runs))
        plan = [*snakemake, "--snakefile", str(REPO / "Snakefile"), "-n", "--cores", "2",
                "--configfile", str(scratch / "study.yaml")]
        plans = []
        for run in range(args.runs + 1):
            work = scratch / f"run{run}"
            (work / "config").mkdir(parents=True)
            shutil.copy(REPO / "config" / "config.yaml", work / "config" / "config.yaml")
            if run < args.runs:
                plans.append(timed([*plan, "--quiet"], work, env)[0])
            else:  # the job counts, untimed: printing them costs about a second more
                listing = timed([*plan, "--quiet", "rules"], work, env)[1]
        total = re.search(r"^total\s+(\d+)", listing, re.MULTILINE)
        counts = dict(re.findall(r"^(\w+)\s+(\d+)$", listing, re.MULTILINE))
    jobs = int(total.group(1)) if total else None
    print(f"{args.datasets} datasets x {args.repeats} repeats x {args.folds} folds: {jobs} jobs")
    print("  " + ", ".join(f"{rule} {n}" for rule, n in counts.items() if rule != "total"))
    print(f"plan (`snakemake -n --quiet`, a fresh folder each), {args.runs} runs: best {min(plans):.1f} s, "
          f"median {statistics.median(plans):.1f} s (target {TARGET_S:.0f} s)")
    print(f"of which snakemake's own start-up (`snakemake --version`): {startup:.1f} s")
    print(f"{os.cpu_count()} CPUs; {note}")


if __name__ == "__main__":
    main()
