"""The cost model: a planned job's seconds on one core here (a GAN: its steps times this machine's
measured step), and a set of jobs' total, per dataset, and wall time on N cores and with a GPU."""


from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable


GAN_RULES = ("cgan_train", "cgan_train_all")
GPU_STEP_S = 0.025  # a 48 px batch-64 step on an H200 took 21.6 ms; tiny data is launch-bound: any size
# a CPU step's time against the GAN's batch and size, from benchmarks/README.md's one-core fp32
# timings (16 px batch 32: 41 ms; 32 px batch 64: 237; 48 px batch 64: 509)
CPU_STEP_FIXED_S = 0.015
CPU_STEP_PIXEL_S = 3.4e-6
GAN_START_S = 3.0  # imports, data, the networks (1.9 and 4.1 s in the two fitted runs)
CHECKPOINT_S = 0.05  # writing a checkpoint and its sample grid, at 16 px; x (size/16)^2
SNAKEMAKE_PER_JOB_S = 0.35  # scheduling, metadata, checksums: Snakemake's own time per job
GPU_JOB_START_S = 10.0  # a GAN job on a GPU: imports, CUDA context, data (4-5 s on an H200, benchmarks/README.md)

# seconds per job = start + per_unit x units(job); units: see _units. Fitted to the jobs of two
# whole runs here (Snakemake's start and end times; 2 cores, each job beside another): the quick
# run (config/quick.yaml, the demo until issue N: 230 images, 16 px, 1 x 3 folds, 1,000-step
# GANs) and a 150-image demo layout at 32 px (300-step GANs); most jobs are their imports (1-4 s),
# whatever their size. docs/benchmarks.md: the fit and the check on configurations not used for it.
JOB_MODEL: dict[str, tuple[float, float]] = {
    "ingest": (0.5, 0.0027),
    "faces": (0.4, 0.0005),  # x the detector's factor (DETECTOR_FACTOR)
    "split": (1.2, 0.0),
    "collect_folds": (0.35, 0.0),
    "resample": (1.48, 0.0003),
    "gate": (3.9, 0.0006),
    "collect_gate": (1.2, 0.0),
    "augment": (1.5, 0.0001),
    "privacy": (1.15, 0.0),
    "collect_privacy": (1.2, 0.0),
    "quality": (2.5, 0.001),
    "collect_quality": (0.4, 0.0),
    "evaluate_fold": (3.95, 0.0000058),
    "collect_dataset": (1.25, 0.0),
    "statistics": (4.2, 0.0),
    "figures": (2.2, 0.0),
    "faces_figure": (0.9, 0.0),
    "gate_figure": (1.3, 0.0),
    "quality_figure": (1.25, 0.0),
    "cd_diagram": (1.5, 0.0),
    "tables": (0.45, 0.0),
    "best_arm": (0.5, 0.0),
    "balanced_set": (0.45, 0.0),
    "provenance": (1.65, 0.0),
    "answer": (1.25, 0.0),
    "summary": (0.4, 0.0),
    "cost": (0.4, 0.0),
}
# a face detector's time per image against none's: BlazeFace 5.4 ms, Haar 39 ms an image
# (benchmarks/README.md, faces_throughput.py)
DETECTOR_FACTOR = {"none": 1.0, "blazeface": 12.0, "haar": 80.0}
OTHER_JOB_S = 1.0  # a rule the model does not know


@dataclass(frozen=True)
class Job:
    """One planned job: its rule and wildcards (``dataset``, ``part``, ``base``, ``repeat`` ...)."""

    rule: str
    wildcards: tuple[tuple[str, str], ...] = ()
    key: str = ""  # unique per job (Snakemake's jobid or its str)
    needs: tuple[str, ...] = ()  # keys of the planned jobs it waits for
    limit_min: float | None = None  # its time limit (resources: runtime), for SLURM

    @property
    def w(self) -> dict[str, str]:
        return dict(self.wildcards)

    @property
    def dataset(self) -> str | None:
        return self.w.get("dataset")


@dataclass
class DatasetFacts:
    """What the model needs of a dataset, known before any job runs."""

    n_images: int
    settings: dict  # its resolved settings (infantfer.config)

    @property
    def folds(self) -> int:
        return self.settings["split"]["folds"]


def modelled_cpu_step_s(batch: int, size: int) -> float:
    """A GAN step on one CPU core by the fitted model: for a time limit (nothing measured yet) and to
    rescale a measured step to another size."""
    return CPU_STEP_FIXED_S + CPU_STEP_PIXEL_S * batch * size**2


def _part_images(job: Job, facts: DatasetFacts) -> float:
    """Images a per-part job handles: a fold's training share, or all of them (part all)."""
    part = job.w.get("part", "")
    if part == "all" or "part" not in job.w:
        return facts.n_images
    return facts.n_images * (facts.folds - 1) / facts.folds


def _checkpoints(cgan: dict) -> int:
    every = cgan["checkpoint_every"] or cgan["steps"]
    return max(1, math.ceil(cgan["steps"] / every))


def _units(job: Job, facts: DatasetFacts) -> float:
    """The work of one job in the model's units (see JOB_MODEL)."""
    s = facts.settings
    pixels = (s["faces"]["size"] / 16) ** 2
    n = facts.n_images
    rule = job.rule
    if rule in ("ingest", "split"):
        return n
    if rule == "faces":
        return n * DETECTOR_FACTOR.get(s["faces"]["detector"], 12.0)
    if rule == "resample":
        return _part_images(job, facts) * pixels
    if rule in ("gate", "quality"):
        return _checkpoints(s["cgan"]) * _part_images(job, facts) * pixels
    if rule in ("augment", "privacy"):
        return _part_images(job, facts) * pixels
    if rule == "evaluate_fold":
        ev = s["evaluate"]
        boosted = sum(1 for c in ev["classifiers"] if c != "chance") + len(ev.get("variants") or {})
        return len(s["arms"]) * boosted * ev["n_estimators"] * n * pixels
    return 0.0


def job_seconds(job: Job, facts: DatasetFacts | None, step_s: Callable[[dict], float], on_gpu: bool = False) -> float:
    """Estimated seconds of one job on one core (a GAN on a GPU with ``on_gpu``)."""
    if job.rule in GAN_RULES and facts is not None:
        cgan = facts.settings["cgan"]
        if on_gpu:
            return GPU_JOB_START_S + cgan["steps"] * GPU_STEP_S
        return (GAN_START_S + cgan["steps"] * step_s(cgan)
                + _checkpoints(cgan) * CHECKPOINT_S * (cgan["size"] / 16) ** 2)
    start, per_unit = JOB_MODEL.get(job.rule, (OTHER_JOB_S, 0.0))
    return start + (per_unit * _units(job, facts) if facts is not None else 0.0)


@dataclass
class DatasetCost:
    name: str
    gans: int = 0
    gan_steps: int = 0
    gan_size: int = 0
    gan_batch: int = 0
    step_s: float = float("nan")
    fits: int = 0
    jobs: int = 0
    cpu_s: float = 0.0  # every job on CPU
    gan_cpu_s: float = 0.0
    gan_gpu_s: float = 0.0  # the GANs on a GPU
    by_rule: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0.0]))


@dataclass
class Estimate:
    datasets: dict[str, DatasetCost]
    cores: int
    wall_s: float  # on ``cores`` cores here, GANs on CPU
    wall_gpu_s: float  # GANs on one GPU, the rest on ``cores`` cores
    jobs: int

    @property
    def cpu_s(self) -> float:
        return sum(d.cpu_s for d in self.datasets.values())

    @property
    def gpu_s(self) -> float:
        return sum(d.gan_gpu_s for d in self.datasets.values())


def classifier_fits(settings: dict) -> int:
    """Classifier fits of one evaluate_fold job: every arm x classifier (chance included) x variant."""
    ev = settings["evaluate"]
    return len(settings["arms"]) * (len(ev["classifiers"]) + len(ev.get("variants") or {}))


def estimate(jobs: Iterable[Job], facts: dict[str, DatasetFacts], step_s: Callable[[dict], float],
             cores: int) -> Estimate:
    """The cost of ``jobs`` (all to be run) on ``cores`` cores of this machine, and with a GPU."""
    jobs = list(jobs)
    costs = {name: DatasetCost(name) for name in sorted({j.dataset for j in jobs if j.dataset} & set(facts))}
    costs["(all datasets)"] = DatasetCost("(all datasets)")
    seconds, seconds_gpu = {}, {}
    for job in jobs:
        f = facts.get(job.dataset)
        cpu = job_seconds(job, f, step_s)
        gpu = job_seconds(job, f, step_s, on_gpu=True) if job.rule in GAN_RULES else cpu
        seconds[job.key], seconds_gpu[job.key] = cpu, gpu
        cost = costs[job.dataset if job.dataset in costs else "(all datasets)"]
        cost.jobs += 1
        cost.cpu_s += cpu
        cost.by_rule[job.rule][0] += 1
        cost.by_rule[job.rule][1] += cpu
        if job.rule in GAN_RULES and f is not None:
            cgan = f.settings["cgan"]
            cost.gans += 1
            cost.gan_steps, cost.gan_size, cost.gan_batch = cgan["steps"], cgan["size"], cgan["batch_size"]
            cost.step_s = step_s(cgan)
            cost.gan_cpu_s += cpu
            cost.gan_gpu_s += gpu
        if job.rule == "evaluate_fold" and f is not None:
            cost.fits += classifier_fits(f.settings)
    if not costs["(all datasets)"].jobs:
        del costs["(all datasets)"]
    overhead = SNAKEMAKE_PER_JOB_S * len(jobs)
    wall = max(sum(seconds.values()) / cores, _longest_chain(jobs, seconds)) + overhead
    gan_gpu = sum(seconds_gpu[j.key] for j in jobs if j.rule in GAN_RULES)
    rest = sum(seconds[j.key] for j in jobs if j.rule not in GAN_RULES)
    # GANs share the GPU as they share the cores (a launch-bound small GAN leaves it mostly idle: 8 at
    # once gave 5 times the steps of one, benchmarks/README.md)
    wall_gpu = max((gan_gpu + rest) / cores, _longest_chain(jobs, seconds_gpu)) + overhead
    return Estimate(costs, cores, wall, wall_gpu, len(jobs))


def _longest_chain(jobs: list[Job], seconds: dict[str, float]) -> float:
    finish: dict[str, float] = {}
    by_key = {j.key: j for j in jobs}

    def done(key: str) -> float:  # iterative: a DAG of thousands of jobs must not hit the recursion limit
        stack = [key]
        while stack:
            k = stack[-1]
            pending = [d for d in by_key[k].needs if d in by_key and d not in finish]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            finish[k] = seconds[k] + max((finish[d] for d in by_key[k].needs if d in by_key), default=0.0)
        return finish[key]

    return max((done(j.key) for j in jobs), default=0.0)


