"""How long `snakemake -n` takes to plan a large study, and how many jobs it plans.

Six demo-sized datasets (drawn: no images on disk), 10 repeats x 5 folds, the four default arms:
the scale of a thesis-sized comparison. Each plan starts a fresh snakemake in a fresh folder (no
results yet, so every job is planned); the best and median of ``--runs`` are printed, beside the
start-up of snakemake itself (`snakemake --version`), which every plan pays.

    .venv/bin/python benchmarks/plan_dag.py [--runs 3] [--repeats 10] [--folds 5] [--datasets 6]

Target: the plan within 5 s on 2 cores.

snakemake-executor-plugin-slurm runs `scontrol show config` when snakemake starts; where SLURM's
client is installed but no controller answers, that waits 9 s, the machine's wait, not the
workflow's. The plan is therefore timed with the tests' stand-in scontrol (tests/bin/scontrol, which
fails at once) first on PATH, and, where scontrol exists, with the real one too: both are printed.
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
STAND_IN_BIN = REPO / "tests" / "bin"  # the tests' stand-in scontrol (tests/conftest.py: local_run_env)
TARGET_S = 5.0


def study(datasets: int, repeats: int, folds: int) -> dict:
    return {
        "datasets": {f"demo{i}": {"layout": "demo", "seed": i, "faces": {"detector": "none", "size": 16}}
                     for i in range(1, datasets + 1)},
        "split": {"folds": folds, "repeats": repeats},
    }


def environments() -> tuple[dict[str, dict], str]:
    """What to time in: the stand-in scontrol first on PATH (no SLURM-plugin stall), and where
    scontrol exists the real one as well; and a note on the SLURM client found."""
    env = dict(os.environ)
    if not shutil.which("scontrol"):
        return {"stand-in scontrol": env}, "no SLURM client here (nothing for the stand-in to leave out)"
    probe = subprocess.run(["scontrol", "ping"], capture_output=True, text=True, timeout=60)
    answers = probe.returncode == 0 and "UP" in probe.stdout
    stand_in = dict(env, PATH=f"{STAND_IN_BIN}{os.pathsep}{env['PATH']}")
    note = "a SLURM controller answers" if answers else "SLURM installed, no controller answers `scontrol ping`"
    return {"stand-in scontrol": stand_in, "real scontrol": env}, note


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
    envs, note = environments()
    plans: dict[str, list[float]] = {name: [] for name in envs}
    startup: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="plan-dag-") as tmp:
        scratch = Path(tmp)
        (scratch / "study.yaml").write_text(yaml.safe_dump(study(args.datasets, args.repeats, args.folds)))
        plan = [*snakemake, "--snakefile", str(REPO / "Snakefile"), "-n", "--cores", "2",
                "--configfile", str(scratch / "study.yaml")]
        runs = 0
        for name, env in envs.items():
            startup[name] = min(timed([*snakemake, "--version"], scratch, env)[0] for _ in range(args.runs))
            for _ in range(args.runs):
                plans[name].append(timed([*plan, "--quiet"], fresh_folder(scratch, runs), env)[0])
                runs += 1
        # the job counts, untimed: printing them costs about a second more
        listing = timed([*plan, "--quiet", "rules"], fresh_folder(scratch, runs), envs["stand-in scontrol"])[1]
        total = re.search(r"^total\s+(\d+)", listing, re.MULTILINE)
        counts = dict(re.findall(r"^(\w+)\s+(\d+)$", listing, re.MULTILINE))
    jobs = int(total.group(1)) if total else None
    print(f"{args.datasets} datasets x {args.repeats} repeats x {args.folds} folds: {jobs} jobs")
    print("  " + ", ".join(f"{rule} {n}" for rule, n in counts.items() if rule != "total"))
    for name, seconds in plans.items():
        target = f" (target {TARGET_S:.0f} s)" if name == "stand-in scontrol" else ""
        print(f"plan (`snakemake -n --quiet`, a fresh folder each), {name}, {args.runs} runs: best {min(seconds):.1f} s, "
              f"median {statistics.median(seconds):.1f} s{target}; snakemake's own start-up "
              f"(`snakemake --version`): {startup[name]:.1f} s")
    print(f"{os.cpu_count()} CPUs; {note}")


def fresh_folder(scratch: Path, run: int) -> Path:
    """A run folder with the default config and no results: every job is planned."""
    work = scratch / f"run{run}"
    (work / "config").mkdir(parents=True)
    shutil.copy(REPO / "config" / "config.yaml", work / "config" / "config.yaml")
    return work


if __name__ == "__main__":
    main()
