"""The cost before the run and after it (issue P): the estimate's arithmetic, the lines it prints,
the budget's stop and what it offers, the step-time cache, the measured-vs-estimated table."""
from __future__ import annotations

import json
import math

import pytest

from infantfer import cost
from infantfer.cost import DatasetFacts, Job, OverBudget
from infantfer.config import resolve_config
from infantfer.step_time import GanStepTimes, shape_key


def settings(**over) -> dict:
    """A dataset's resolved settings at the schema's defaults (48 px, 3 x 5 folds, four arms), with
    top-level sections ``over`` merged in."""
    config = {"datasets": {"d": {"layout": "demo"}}, **over}
    resolve_config(config)
    return config["datasets"]["d"]


def study_jobs(s: dict, dataset="d") -> list[Job]:
    """The per-part jobs of a dataset: for every repeat x fold, a resample, two GANs (original and
    smoteenn) with their gates, and the evaluation; then one all-images GAN."""
    jobs = [Job("ingest", (("dataset", dataset),), "ingest"),
            Job("faces", (("dataset", dataset),), "faces", ("ingest",))]
    for r in range(s["split"]["repeats"]):
        for f in range(s["split"]["folds"]):
            part = f"r{r}_f{f}"
            w = lambda **x: tuple(sorted({"dataset": dataset, "part": part, **x}.items()))  # noqa: E731
            jobs.append(Job("resample", w(base="smoteenn"), f"res{part}", ("faces",)))
            for base, needs in (("original", ("faces",)), ("smoteenn", ("faces", f"res{part}"))):
                jobs.append(Job("cgan_train", w(base=base), f"gan{part}{base}", needs))
                jobs.append(Job("gate", w(base=base), f"gate{part}{base}", (f"gan{part}{base}",)))
            jobs.append(Job("evaluate_fold", w(), f"ev{part}", (f"gate{part}original", f"gate{part}smoteenn")))
    jobs.append(Job("cgan_train_all", (("base", "original"), ("dataset", dataset), ("part", "all")), "ganall", ("faces",)))
    return jobs


def fixed_step(seconds):
    return lambda cgan: seconds


class FakeStepTimes:
    def __init__(self, seconds):
        self.seconds_each, self.asked = seconds, []

    def known(self, cgan):
        return self.seconds_each

    def seconds(self, cgan, logger=None):
        self.asked.append(cgan["size"])
        return self.seconds_each

    def save(self):
        pass


def test_a_study_at_the_defaults_is_its_gans_steps_over_the_cores():
    s = settings()
    jobs = study_jobs(s)
    est = cost.estimate(jobs, {"d": DatasetFacts(300, s)}, fixed_step(0.5), cores=2)
    d = est.datasets["d"]
    assert (d.gans, d.gan_steps, d.gan_size) == (31, 3000, 48)
    assert cost._checkpoints(s["cgan"]) == 3000 // s["cgan"]["checkpoint_every"]
    gan_s = cost.GAN_START_S + 3000 * 0.5 + cost._checkpoints(s["cgan"]) * cost.CHECKPOINT_S * 9
    assert d.gan_cpu_s == pytest.approx(31 * gan_s)
    assert d.fits == 15 * cost.classifier_fits(s) == 15 * 4 * 3
    # 2 cores: the summed job time over 2 (the chain of one GAN is shorter), plus Snakemake's time per job
    assert est.wall_s == pytest.approx(d.cpu_s / 2 + cost.SNAKEMAKE_PER_JOB_S * len(jobs))
    assert 6.5 * 3600 < est.wall_s < 7.5 * 3600  # "about 7 hours on 2 cores" (the schema's plan.max_hours)
    # with a GPU, the GANs are seconds each
    assert d.gan_gpu_s == pytest.approx(31 * (cost.GPU_JOB_START_S + 3000 * cost.GPU_STEP_S))


def test_the_wall_time_is_at_least_the_longest_chain():
    s = settings(split={"repeats": 1, "folds": 2})
    jobs = study_jobs(s)
    est = cost.estimate(jobs, {"d": DatasetFacts(100, s)}, fixed_step(0.5), cores=64)
    gan = cost.job_seconds(jobs[5], DatasetFacts(100, s), fixed_step(0.5))
    assert jobs[5].rule == "cgan_train" and jobs[5].w["base"] == "smoteenn"
    chain = sum(cost.job_seconds(j, DatasetFacts(100, s), fixed_step(0.5)) for j in
                (jobs[0], jobs[1], jobs[2], jobs[5], jobs[6], jobs[7]))  # ingest faces resample gan gate evaluate
    assert est.wall_s == pytest.approx(chain + cost.SNAKEMAKE_PER_JOB_S * len(jobs))
    assert est.wall_s > gan


def test_the_lines_say_gans_size_steps_fits_and_hours_here_and_on_a_gpu():
    s = settings()
    est = cost.estimate(study_jobs(s), {"d": DatasetFacts(300, s)}, fixed_step(0.5), cores=2)
    lines = cost.cost_lines(est)
    assert lines[0] == f"Cost of this run ({est.jobs} jobs; infantfer.cost, GAN steps timed on this machine):"
    assert lines[1].startswith("  d: 31 GANs to train (48 px, 3000 steps at batch 64: 500 ms a step on one core here, "
                               "25 min each; on a GPU 85 s), 180 classifier fits, ")
    assert "CPU-hours" in lines[1] and "GPU-hours with the GANs on a GPU" in lines[1]
    assert lines[2].startswith(f"  about {est.wall_s / 3600:.1f} h on the 2 cores here (")
    assert "with the GANs on one GPU about" in lines[2]


def test_over_budget_a_local_run_stops_naming_what_each_setting_would_save():
    s = settings()
    jobs = study_jobs(s)
    est = cost.estimate(jobs, {"d": DatasetFacts(300, s)}, fixed_step(0.5), cores=2)
    said = []
    with pytest.raises(OverBudget) as over:
        cost.announce(jobs, {"d": DatasetFacts(300, s)}, FakeStepTimes(0.5), 2, local=True, may_stop=True,
                      max_hours=3, gpu_visible=lambda: False, say=said.append)
    message = str(over.value)
    assert said and said[0].startswith("Cost of this run")  # the estimate is said before the stop
    assert message.startswith(f"This run would take about {cost.hours(est.wall_s)} on the 2 cores here")
    assert "more than plan.max_hours (3 h), and no GPU is visible; nothing was started" in message
    options = {line.split(":")[0].strip(): line for line in message.splitlines()[1:5]}
    assert set(options) == {"faces.size", "split.repeats", "cgan.steps", "arms"}
    assert "48 -> 32" in options["faces.size"] and "3 -> 1" in options["split.repeats"]
    assert "3000 -> 1500" in options["cgan.steps"] and "smoteenn" in options["arms"]
    # each option's figure is the estimate rerun with that setting: a third of the folds, half the steps
    hours = {k: float(v.rsplit("about ", 1)[1].split()[0]) for k, v in options.items()}
    now = est.wall_s / 3600
    assert hours["split.repeats"] == pytest.approx(now / 3, rel=0.1)
    assert hours["cgan.steps"] == pytest.approx(now / 2, rel=0.1)
    assert hours["faces.size"] == pytest.approx(now * 0.49, rel=0.1)  # 0.015 + 3.4e-6 x 64 x 32^2, against 48^2
    assert hours["arms"] == pytest.approx(now * 16 / 31, rel=0.1)  # the original GANs and the all-images one
    assert f"plan: {{max_hours: {math.ceil(est.wall_s / 3600)}}}" in message and "docs/slurm.md" in message


@pytest.mark.parametrize("case", ["dry-run or --touch", "budget 0", "a GPU", "under budget"])
def test_nothing_stops_a_dry_run_a_gpu_run_or_one_within_budget(case):
    s = settings()
    jobs = study_jobs(s)
    kw = dict(local=True, may_stop=case != "dry-run or --touch", max_hours={"budget 0": 0, "under budget": 8}.get(case, 3),
              gpu_visible=lambda: case == "a GPU")
    said = []
    est = cost.announce(jobs, {"d": DatasetFacts(300, s)}, FakeStepTimes(0.5), 2, say=said.append, **kw)
    assert est is not None and said[0].startswith("Cost of this run")


def test_a_slurm_run_says_the_cost_per_job_kind_and_never_stops():
    s = settings()
    jobs = [Job(j.rule, j.wildcards, j.key, j.needs, limit_min={"cgan_train": 54}.get(j.rule, 60)) for j in study_jobs(s)]
    said = []
    cost.announce(jobs, {"d": DatasetFacts(300, s)}, FakeStepTimes(0.5), 2, local=False, may_stop=True,
                  max_hours=0.01, gpu_visible=lambda: False, say=said.append)
    lines = said[0].splitlines()
    assert lines[0].startswith("Cost per job kind on SLURM")
    assert any(line.startswith("  cgan_train: 30 x up to 85 s on a GPU, limit 54 min") for line in lines), lines
    assert any(line.startswith("  evaluate_fold: 15 x up to") for line in lines)


def test_nothing_planned_says_nothing():
    assert cost.announce([], {}, FakeStepTimes(0.5), 2, local=True, may_stop=True, max_hours=3,
                         gpu_visible=lambda: False, say=pytest.fail) is None


def test_the_step_time_is_measured_once_per_machine_and_shape(tmp_path, monkeypatch):
    measured = []
    monkeypatch.setattr("infantfer.step_time.measure_step_s", lambda cgan: measured.append(cgan["size"]) or 0.25)
    cache = tmp_path / "times.json"
    s = settings()["cgan"]
    times = GanStepTimes(cache, machine="cpu A")
    assert times.seconds(s) == times.seconds(s) == 0.25 and measured == [48]
    times.save()
    assert GanStepTimes(cache, machine="cpu A").known(s) == 0.25
    assert GanStepTimes(cache, machine="cpu A").known({**s, "steps": 10}) == 0.25  # steps are not a shape
    assert GanStepTimes(cache, machine="cpu A").known({**s, "size": 32}) is None
    assert GanStepTimes(cache, machine="cpu B").known(s) is None
    assert json.loads(cache.read_text()) == {"cpu A": {shape_key(s): 0.25}}
    # a key added later, at what runs before it did, leaves the cached times known
    assert shape_key({**s, "class_norm": False}) == shape_key({k: v for k, v in s.items() if k != "class_norm"})
    assert shape_key({**s, "class_norm": True}) != shape_key({**s, "class_norm": False})


def test_a_real_step_is_timed_in_a_child_process():
    from infantfer.step_time import measure_step_s

    tiny = {"size": 16, "batch_size": 16, "g_width": 16, "d_width": 8, "z_dim": 16,
            "diffaugment": "translation,cutout", "r1_gamma": 0.0}
    assert 0.0005 < measure_step_s(tiny) < 1.0


def test_the_measured_table_sits_beside_the_estimate(tmp_path):
    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    files = {}
    for name, wall, rss, cpu in (("r0_f0_original", 100.0, 400.0, 98.0), ("r0_f1_original", 120.0, 450.0, 118.0)):
        path = tmp_path / "benchmarks" / "cgan" / f"{name}.tsv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + f"{wall}\t0:01:40\t{rss}\t1\t1\t1\t0\t0\t98\t{cpu}\n")
        files.setdefault("cgan_train", []).append(str(path))
    s = settings(split={"repeats": 1, "folds": 2})
    estimated = cost.estimated_by_stage(files, "d", DatasetFacts(100, s), step_s=0.035)
    one = cost.GAN_START_S + 3000 * 0.035 + cost._checkpoints(s["cgan"]) * cost.CHECKPOINT_S * 9
    assert estimated == {"cgan_train": (2, pytest.approx(2 * one))}
    table = cost.measured_table(files, estimated)
    row = table.iloc[0].to_dict()
    assert row["stage"] == "cgan_train" and row["jobs"] == 2 and row["measured_s"] == 220.0
    assert row["cpu_s"] == 216.0 and row["peak_rss_mb"] == 450.0
    assert row["estimated_s"] == round(2 * one, 1) and row["measured_over_estimated"] == round(220 / (2 * one), 2)
    # not measured on this machine: no GAN estimate, no ratio
    assert cost.measured_table(files, cost.estimated_by_stage(files, "d", DatasetFacts(100, s), None)
                               )["measured_over_estimated"].isna().all()


@pytest.mark.parametrize("rule,path,wildcards", [
    ("cgan_train", "results/d/benchmarks/cgan/r12_f3_smoteenn.tsv", {"part": "r12_f3", "base": "smoteenn"}),
    ("gate", "results/d/benchmarks/gate/all_original.tsv", {"part": "all", "base": "original"}),
    ("resample", "results/d/benchmarks/resample/smoteenn/r0_f1.tsv", {"part": "r0_f1", "base": "smoteenn"}),
    ("evaluate_fold", "results/d/benchmarks/evaluate/r1_f4.tsv", {"part": "r1_f4"}),
])
def test_a_benchmark_file_names_its_job(rule, path, wildcards):
    assert cost.job_of_benchmark(rule, path, "d").w == {"dataset": "d", **wildcards}


# ---------------------------------------------------------------- end to end


@pytest.mark.e2e
def test_a_local_run_over_budget_stops_before_any_job_and_a_dry_run_says_the_cost(tmp_path):
    import yaml

    from conftest import TINY_GAN, run_snakemake, workdir_with_defaults

    run = workdir_with_defaults(tmp_path / "run")
    config = {"datasets": {"k": {"layout": "demo", "counts": {"cry": 24, "laugh": 14, "neutral": 12}, "size": 16,
                                 "faces": {"detector": "none", "size": 16}}},
              "split": {"folds": 2, "repeats": 1}, "cgan": TINY_GAN, "plan": {"max_hours": 0.0001}}
    (run / "k.yaml").write_text(yaml.safe_dump(config))
    planned = run_snakemake(run, "-n", "--cores", "2", "--configfile", "k.yaml")
    said = planned.stdout + planned.stderr
    line = next(x for x in said.splitlines() if x.startswith("  k: "))
    # four arms over 2 folds: 2 GANs a fold (original, smoteenn) and the balanced set's; 4 arms x 3 classifiers a fold
    assert line.startswith("  k: 5 GANs to train (16 px, 20 steps at batch 16: ") and ", 24 classifier fits, " in line
    stopped = run_snakemake(run, "--cores", "2", "--configfile", "k.yaml", check=False)
    said = stopped.stdout + stopped.stderr
    assert stopped.returncode != 0 and "more than plan.max_hours (0.0001 h), and no GPU is visible; nothing was started" in said
    assert "cgan.steps: 20 -> 10: about" in said and "plan: {max_hours: 1}" in said
    assert not (run / "results").exists() and not (run / "logs").exists()
    # no lock left behind: the same command with a budget runs at once
    (run / "k.yaml").write_text(yaml.safe_dump({**config, "plan": {"max_hours": 0}}))
    run_snakemake(run, "results/k/folds.tsv", "--cores", "2", "--configfile", "k.yaml")
