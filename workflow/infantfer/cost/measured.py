"""After the run: each stage's measured time (its jobs' Snakemake benchmark files) beside its estimate."""

from __future__ import annotations

import re

import pandas as pd

from .model import GAN_RULES, DatasetFacts, Job, job_seconds

# ---------------------------------------------------------------- after the run

BENCHMARK_COLUMNS = {"s": "wall_s", "cpu_time": "cpu_s", "max_rss": "max_rss_mb"}


def read_benchmark(path) -> dict:
    """The last row of a Snakemake benchmark file (wall s, CPU s, peak RSS in MB)."""
    table = pd.read_csv(path, sep="\t")
    row = table.iloc[-1]
    out = {}
    for column, name in BENCHMARK_COLUMNS.items():
        value = pd.to_numeric(row.get(column), errors="coerce")
        out[name] = float(value) if pd.notna(value) else float("nan")
    return out


def job_of_benchmark(rule: str, path: str, dataset: str) -> Job:
    """The job a benchmark file (results/<dataset>/benchmarks/<kind>/...) records."""
    from pathlib import PurePath

    p = PurePath(path)
    w = {"dataset": dataset}
    if rule in (*GAN_RULES, "gate", "quality"):
        match = re.fullmatch(r"(r\d+_f\d+|all)_(.+)", p.stem)
        if match:
            w.update(part=match.group(1), base=match.group(2))
    elif rule == "resample":
        w.update(part=p.stem, base=p.parent.name)
    elif rule == "evaluate_fold":
        w["part"] = p.stem
    return Job(rule, tuple(sorted(w.items())), key=str(path))


def estimated_by_stage(benchmarks: dict[str, list[str]], dataset: str, facts: DatasetFacts,
                       step_s: float | None) -> dict[str, tuple[int, float]]:
    """rule -> (jobs, estimated seconds) for the jobs whose benchmark files are given; a GAN's
    estimate needs this machine's step time (None: NaN)."""
    out = {}
    for rule, paths in benchmarks.items():
        if rule in GAN_RULES and step_s is None:
            out[rule] = (len(paths), float("nan"))
            continue
        jobs = [job_of_benchmark(rule, p, dataset) for p in paths]
        out[rule] = (len(jobs), sum(job_seconds(j, facts, lambda cgan: step_s) for j in jobs))
    return out


def measured_table(benchmarks: dict[str, list[str]], estimated: dict[str, tuple[int, float]]) -> pd.DataFrame:
    """Per stage: jobs, estimated and measured wall seconds (summed over its jobs), their ratio,
    CPU seconds and the largest peak memory. ``benchmarks``: rule -> its jobs' benchmark files;
    ``estimated``: rule -> (jobs, seconds)."""
    rows = []
    for rule in sorted(set(benchmarks) | set(estimated)):
        reads = [read_benchmark(p) for p in benchmarks.get(rule, [])]
        n_est, est_s = estimated.get(rule, (0, float("nan")))
        wall = sum(r["wall_s"] for r in reads) if reads else float("nan")
        rows.append({"stage": rule, "jobs": len(reads) or n_est, "estimated_s": round(est_s, 1),
                     "measured_s": round(wall, 1),
                     "measured_over_estimated": round(wall / est_s, 2) if reads and est_s > 0 else float("nan"),
                     "cpu_s": round(sum(r["cpu_s"] for r in reads), 1) if reads else float("nan"),
                     "peak_rss_mb": round(max(r["max_rss_mb"] for r in reads), 0) if reads else float("nan")})
    return pd.DataFrame(rows, columns=["stage", "jobs", "estimated_s", "measured_s", "measured_over_estimated",
                                       "cpu_s", "peak_rss_mb"])


