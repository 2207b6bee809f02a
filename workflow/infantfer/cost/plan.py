"""What the planned jobs will cost, said before the run (per dataset; per job kind on SLURM), and
the budget: a local run without a GPU over ``plan.max_hours`` stops, with what each usual setting
would bring the estimate to."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Callable, Iterable

from .model import GAN_RULES, DatasetFacts, Estimate, Job, estimate, job_seconds, modelled_cpu_step_s

def cpu_hours(seconds: float) -> str:
    h = seconds / 3600
    return f"{h:.2f}" if h < 10 else f"{h:.0f}"


def hours(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 600:
        return f"{seconds / 60:.1f} min"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def cost_lines(est: Estimate, gpu_here: bool | None = None) -> list[str]:
    """Per dataset, then the run: the GANs to train, the classifier fits, the time here and on a GPU."""
    lines = [f"Cost of this run ({est.jobs} jobs; infantfer.cost, GAN steps timed on this machine):"]
    for cost in est.datasets.values():
        if cost.name == "(all datasets)":  # the run's summary and answer: seconds, in the total below
            continue
        gans = (f"{cost.gans} GAN{'s' * (cost.gans != 1)} to train ({cost.gan_size} px, {cost.gan_steps} steps at batch "
                f"{cost.gan_batch}: {cost.step_s * 1000:.0f} ms a step on one core here, {hours(cost.gan_cpu_s / cost.gans)} "
                f"each; on a GPU {hours(cost.gan_gpu_s / cost.gans)})") if cost.gans else "no GAN to train"
        lines.append(f"  {cost.name}: {gans}, {cost.fits} classifier fits, {cost.jobs} jobs: "
                     f"{cpu_hours(cost.cpu_s)} CPU-hours" + (f", {cpu_hours(cost.gan_gpu_s)} GPU-hours with the GANs on a GPU"
                                                          if cost.gans else ""))
    gan_jobs = sum(c.gans for c in est.datasets.values())
    line = f"  about {hours(est.wall_s)} on the {est.cores} core{'s' * (est.cores != 1)} here ({cpu_hours(est.cpu_s)} CPU-hours)"
    if gan_jobs:
        line += f"; with the GANs on one GPU about {hours(est.wall_gpu_s)} ({cpu_hours(est.gpu_s)} GPU-hours)"
    lines.append(line)
    return lines


def slurm_lines(jobs: Iterable[Job], facts: dict[str, DatasetFacts], step_s: Callable[[dict], float]) -> list[str]:
    """Per job kind: how many, the estimate of one on its device, the time limit it asks for."""
    kinds: dict[str, list] = {}
    for job in jobs:
        f = facts.get(job.dataset)
        on_gpu = job.rule in GAN_RULES and f is not None and f.settings["cgan"]["device"] != "cpu"
        seconds = job_seconds(job, f, step_s, on_gpu=on_gpu)
        entry = kinds.setdefault(job.rule, [0, 0.0, job.limit_min, on_gpu])
        entry[0] += 1
        entry[1] = max(entry[1], seconds)
    lines = ["Cost per job kind on SLURM (the longest job of each; the time limit each asks for):"]
    for rule, (count, longest, limit, on_gpu) in sorted(kinds.items(), key=lambda kv: -kv[1][1]):
        where = " on a GPU" if on_gpu else ""
        lines.append(f"  {rule}: {count} x up to {hours(longest)}{where}, limit {limit:.0f} min" if limit
                     else f"  {rule}: {count} x up to {hours(longest)}{where}")
    return lines


# ---------------------------------------------------------------- the budget


@dataclass(frozen=True)
class Saving:
    setting: str
    change: str
    wall_s: float


def _with(facts: DatasetFacts, section: str, key: str, value) -> DatasetFacts:
    s = {**facts.settings, section: {**facts.settings[section], key: value}}
    return replace(facts, settings=s)


def savings(jobs: list[Job], facts: dict[str, DatasetFacts], step_s: Callable[[dict], float], cores: int,
            scale_step: Callable[[dict, int], float]) -> list[Saving]:
    """What the usual settings would bring the estimate to, each alone, on every dataset at once.
    ``scale_step(cgan, size)``: the step time of that GAN at another size."""
    out = []
    sizes = {f.settings["faces"]["size"] for f in facts.values()}
    if max(sizes, default=0) > 32:
        smaller = {}
        for name, f in facts.items():
            g = _with(f, "faces", "size", min(32, f.settings["faces"]["size"]))
            cgan = g.settings["cgan"]
            if cgan["size"] > 32:
                g = _with(g, "cgan", "size", 32)
                g.settings["cgan"]["_size_before"] = cgan["size"]
            smaller[name] = g

        def step_at(cgan):
            if "_size_before" in cgan:
                return scale_step({**cgan, "size": cgan["_size_before"]}, cgan["size"])
            return step_s(cgan)
        e = estimate(jobs, smaller, step_at, cores)
        out.append(Saving("faces.size", f"{max(sizes)} -> 32 (and cgan.size)", e.wall_s))
    repeats = {f.settings["split"]["repeats"] for f in facts.values()}
    if max(repeats, default=1) > 1:
        kept = [j for j in jobs if _repeat_of(j) in (None, 0)]
        e = estimate(kept, facts, step_s, cores)
        out.append(Saving("split.repeats", f"{max(repeats)} -> 1", e.wall_s))
    steps = {f.settings["cgan"]["steps"] for f in facts.values()}
    if steps and any(j.rule in GAN_RULES for j in jobs):
        halved = {n: _with(f, "cgan", "steps", f.settings["cgan"]["steps"] // 2) for n, f in facts.items()}
        e = estimate(jobs, halved, step_s, cores)
        out.append(Saving("cgan.steps", f"{max(steps)} -> {max(steps) // 2}", e.wall_s))
    bases = {j.w.get("base") for j in jobs if j.rule in GAN_RULES} - {None, "original"}
    if bases and any(j.rule in GAN_RULES and j.w.get("base") == "original" for j in jobs):
        kept = [j for j in jobs if not (j.w.get("base") in bases)]
        e = estimate(kept, facts, step_s, cores)
        out.append(Saving("arms", f"leave out the arms whose GAN learns from {', '.join(sorted(bases))} "
                                  f"(e.g. smoteenn_cgan)", e.wall_s))
    return out


def _repeat_of(job: Job) -> int | None:
    w = job.w
    if "repeat" in w:
        return int(w["repeat"])
    part = w.get("part", "")
    if part.startswith("r") and "_f" in part:
        return int(part[1:].split("_f")[0])
    return None


def budget_message(est: Estimate, max_hours: float, options: list[Saving]) -> str:
    lines = [f"This run would take about {hours(est.wall_s)} on the {est.cores} cores here "
             f"({cpu_hours(est.cpu_s)} CPU-hours), more than plan.max_hours ({max_hours:g} h), and no GPU is "
             f"visible; nothing was started. Each of these settings alone would bring it to:"]
    for s in options:
        lines.append(f"  {s.setting}: {s.change}: about {hours(s.wall_s)}")
    needed = math.ceil(est.wall_s / 3600)
    lines.append(f"To go on as it is: raise the budget in your config file (plan: {{max_hours: {needed}}}; "
                 f"--config cannot set a nested number), run where a GPU is visible, or submit to SLURM "
                 f"(docs/slurm.md). `snakemake -n` shows this estimate without running anything.")
    return "\n".join(lines)


# ---------------------------------------------------------------- before the run, said and checked


class OverBudget(RuntimeError):
    """The estimate exceeds plan.max_hours on a local run without a GPU; the message says what to change."""


def announce(jobs: list[Job], facts: dict[str, DatasetFacts], step_times, cores: int, *, local: bool,
             may_stop: bool, max_hours: float, gpu_visible: Callable[[], bool],
             say: Callable[[str], None]) -> Estimate | None:
    """Say what the planned ``jobs`` will cost; raise OverBudget where a local run that ``may_stop``
    (not -n, not --touch) exceeds ``max_hours`` (0: never) without a GPU. ``step_times``: a
    :class:`infantfer.step_time.GanStepTimes`."""
    if not jobs:
        return None
    gan_shapes = {j.dataset: facts[j.dataset].settings["cgan"] for j in jobs
                  if j.rule in GAN_RULES and j.dataset in facts}
    for cgan in gan_shapes.values():
        step_times.seconds(cgan, logger=_Say(say))
    step_times.save()
    est = estimate(jobs, facts, step_times.seconds, cores)
    if not local:
        say("\n".join(slurm_lines(jobs, facts, step_times.seconds)))
        return est
    say("\n".join(cost_lines(est)))
    if may_stop and max_hours and est.wall_s > max_hours * 3600:
        cpu_only = all(c["device"] == "cpu" for c in gan_shapes.values())
        if cpu_only or not gpu_visible():
            raise OverBudget(budget_message(est, max_hours, savings(jobs, facts, step_times.seconds, cores,
                                                                    scaled_step(step_times))))
        if est.wall_gpu_s > max_hours * 3600:
            say(f"The estimate with the GANs on the GPU here, {hours(est.wall_gpu_s)}, exceeds plan.max_hours "
                f"({max_hours:g} h) too; going on, since a GPU run's time is hard to know before it starts.")
    return est


class _Say:
    def __init__(self, say):
        self.info = say



def scaled_step(step_times) -> Callable[[dict, int], float]:
    """``at(cgan, size)``: the measured step time of ``cgan`` rescaled to another size."""
    def at(cgan: dict, size: int) -> float:
        batch = cgan["batch_size"]
        return step_times.seconds(cgan) * modelled_cpu_step_s(batch, size) / modelled_cpu_step_s(batch, cgan["size"])
    return at
