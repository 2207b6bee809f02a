"""A real SLURM: the workflow through `--executor slurm` with the project's profile, on a one-node
cluster with one fake GPU (envs/slurm-single-node.sh; the recipe is ../shared/notes/slurm-single-node.md).

The module's fixture starts munged, slurmctld and slurmd (unless a cluster already answers) and stops
the ones it started by their pids. One tiny run through SLURM is shared by the tests, and compared
with the same config run locally (`--cores 2`) at the same time. Both start from one local run of
ingest, faces and split (identical inputs, and three queue round trips less); everything after the
split goes through sbatch, except the declared localrules.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import REPO, TINY_GAN, run_snakemake, snakemake_command, workdir_with_defaults

pytestmark = pytest.mark.e2e

DATASET = "tiny"
CONFIG = {
    "datasets": {DATASET: {"layout": "demo", "counts": {"cry": 24, "laugh": 14, "neutral": 12}, "size": 32,
                           "faces": {"detector": "none", "size": 16}}},
    "split": {"folds": 2, "repeats": 1, "seed": 0},
    # original and cgan: 2 folds, 2 GANs in one SLURM job (group-components gans: 2); SMOTEENN and
    # the other arms run the same rules, locally tested (tests/test_workflow.py)
    "arms": {"original": {}, "cgan": {"gan": True}},
    "evaluate": {"n_estimators": 5},
    "cgan": TINY_GAN,
    "gate": {"n_draws": 5},
}
PREFIX = [f"results/{DATASET}/folds.tsv", f"results/{DATASET}/faces.npz"]  # folds.tsv: split and collect_folds
TARGETS = [f"results/{DATASET}/metrics.tsv", f"results/{DATASET}/js_divergence.tsv"]
# the local run beside it: one fold's evaluation and gates (its GANs, gates, top-ups and classifiers)
FOLD_TABLES = [f"results/{DATASET}/evaluate/r0_f0/metrics.tsv", f"results/{DATASET}/gate/r0_f0_original.tsv"]
LOCAL_LOGS = {f"logs/{DATASET}/collect.log", f"logs/{DATASET}/collect_gate.log"}  # collect_dataset, collect_gate
# The CI-only options of the note: squeue as status command (sacct answers "accounting storage is
# disabled"), fast first status checks, no account.
CI_OPTIONS = ["--slurm-status-command", "squeue", "--slurm-no-account",
              "--slurm-init-seconds-before-status-checks", "1", "--seconds-between-status-checks", "2"]
DAEMONS = ["munged", "slurmctld", "slurmd", "sbatch", "sinfo", "squeue", "scontrol"]


def _skip_reason() -> str | None:
    missing = [d for d in DAEMONS if not shutil.which(d, path=os.environ.get("PATH", "") + ":/usr/sbin")]
    if missing:
        return f"no SLURM here ({', '.join(missing)} missing): run `sudo bash envs/slurm-single-node.sh`"
    if os.geteuid() != 0:
        return "starting slurmctld, slurmd and munged needs root"
    conf = Path("/etc/slurm/slurm.conf")
    if not conf.is_file() or "Gres=gpu" not in conf.read_text() or not Path("/etc/slurm/gres.conf").is_file():
        return "SLURM is not configured with a (fake) GPU: run `sudo bash envs/slurm-single-node.sh --configure`"
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        return "snakemake-executor-plugin-slurm is not installed: `bash envs/install.sh --test` (extra [slurm])"
    return None


if _skip_reason():
    pytestmark = [pytestmark, pytest.mark.skip(reason=_skip_reason())]


def _run(*cmd: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def _node_states() -> list[str]:
    try:
        result = _run("sinfo", "-h", "-o", "%t", timeout=10)
    except (subprocess.TimeoutExpired, OSError):
        return []
    return result.stdout.split() if result.returncode == 0 else []


def _munge_works() -> bool:
    munge = subprocess.run("munge -n | unmunge", shell=True, capture_output=True, timeout=10)
    return munge.returncode == 0


def _pid_file(path: str, timeout: float = 10) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return int(Path(path).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            time.sleep(0.1)
    raise AssertionError(f"no pid in {path} after {timeout} s")


def _slurmctld_log() -> Path:
    config = _run("scontrol", "show", "config").stdout
    match = re.search(r"^SlurmctldLogFile\s*=\s*(\S+)", config, re.M)
    return Path(match.group(1) if match else "/var/log/slurm/slurmctld.log")


@pytest.fixture(scope="module")
def slurm():
    """A running one-node SLURM; yields the default partition. Daemons started here are stopped
    here, by the pids they wrote; a cluster that was already up is left as it was."""
    started: list[tuple[str, int]] = []
    try:
        if not any(s.rstrip("*~#") in ("idle", "mix", "alloc") for s in _node_states()):
            if not _munge_works():
                subprocess.run(["runuser", "-u", "munge", "--", shutil.which("munged", path="/usr/sbin:/usr/bin"),
                                "--force"], check=True, timeout=30)
                started.append(("munged", _pid_file("/run/munge/munged.pid")))
            for daemon in ("slurmctld", "slurmd"):
                subprocess.run([daemon], check=True, timeout=30)  # each daemonises and writes its pid file
                started.append((daemon, _pid_file(f"/run/{daemon}.pid")))
            deadline = time.monotonic() + 60
            while not any(s.rstrip("*~#") == "idle" for s in _node_states()):
                if time.monotonic() > deadline:
                    raise AssertionError(f"node not idle after 60 s: {_run('sinfo').stdout}")
                time.sleep(0.5)
        partition = _run("sinfo", "-h", "-o", "%P").stdout.split()[0].rstrip("*")
        yield partition
    finally:
        for name, pid in reversed(started):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)


def on_slurm(partition: str, *args: str, configfiles=("tiny.yaml",)) -> list[str]:
    """The arguments of a snakemake run through SLURM with the project's profile."""
    return [*args, "--workflow-profile", str(REPO / "workflow" / "profiles" / "slurm"), *CI_OPTIONS,
            "--default-resources", f"slurm_partition={partition}", "--configfile", *configfiles]


def slurm_snakemake(run: Path, *args: str, check: bool = True, timeout: float = 1500) -> subprocess.CompletedProcess:
    """snakemake in the test's own environment: the SLURM plugin talks to the real scontrol."""
    return run_snakemake(run, *args, check=check, env=dict(os.environ), timeout=timeout)


@pytest.fixture(scope="module")
def runs(slurm, tmp_path_factory):
    """The tiny config through SLURM and, at the same time, one of its folds locally with --cores 2."""
    base = workdir_with_defaults(tmp_path_factory.mktemp("slurm_prefix"))
    (base / "tiny.yaml").write_text(yaml.safe_dump(CONFIG, sort_keys=False))
    (base / "budget.yaml").write_text("plan: {max_hours: 0.0001}\n")  # a SLURM run never stops on it
    slurm_snakemake(base, *PREFIX, "--cores", "2", "--configfile", "tiny.yaml", timeout=900)  # ingest, faces, split
    dirs = {}
    for name in ("cluster", "local", "negative"):
        dirs[name] = tmp_path_factory.mktemp(f"slurm_{name}") / "run"
        shutil.copytree(base, dirs[name], symlinks=True)
    local = subprocess.Popen(snakemake_command(*FOLD_TABLES, "--cores", "2", "--configfile", "tiny.yaml"),
                             cwd=dirs["local"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    start = time.monotonic()
    cluster = slurm_snakemake(dirs["cluster"], *on_slurm(slurm, *TARGETS, configfiles=("tiny.yaml", "budget.yaml")),
                              check=False)
    seconds = time.monotonic() - start
    local_out, _ = local.communicate(timeout=1500)
    print(f"SLURM run {seconds:.0f} s, the local run beside it {time.monotonic() - start:.0f} s at most")
    assert cluster.returncode == 0, (f"the SLURM run failed ({seconds:.0f} s):\n{cluster.stdout[-4000:]}\n"
                                     f"{cluster.stderr[-8000:]}")
    assert local.returncode == 0, f"the local run failed:\n{local_out[-6000:]}"
    return {**dirs, "partition": slurm, "output": cluster.stdout + cluster.stderr, "seconds": seconds}


def job_logs(run: Path) -> dict[str, str]:
    return {str(p.relative_to(run)): p.read_text() for p in (run / "logs").rglob("*.log")}


def slurm_job_id(log: str) -> str | None:
    match = re.search(r"job environment: .*\bSLURM_JOB_ID=(\d+)", log)
    return match.group(1) if match else None


def test_every_job_but_the_localrules_went_through_sbatch(runs):
    logs = job_logs(runs["cluster"])
    prefix = {f"logs/{DATASET}/ingest.log", f"logs/{DATASET}/faces.log", f"logs/{DATASET}/split/r0.log",
              f"logs/{DATASET}/collect_folds.log"}
    ran = {path: log for path, log in logs.items() if path not in prefix}
    assert LOCAL_LOGS <= set(ran) and len(ran) == 2 + 2 + 2 + 2 + 2, sorted(ran)  # + GAN, gate, augment, evaluate
    for path, log in ran.items():
        if path in LOCAL_LOGS:
            assert slurm_job_id(log) is None, f"{path} is a localrule's log but names a SLURM job:\n{log}"
        else:
            assert slurm_job_id(log), f"{path} did not run in a SLURM job:\n{log}"
    output = runs["output"]
    assert "localrule collect_dataset:" in output and "localrule collect_gate:" in output
    submitted = set(re.findall(r"has been submitted with SLURM jobid (\d+)", output))
    ids = {slurm_job_id(log) for path, log in ran.items() if path not in LOCAL_LOGS}
    assert ids == submitted and len(submitted) == 1 + 2 + 2 + 2  # the 2 GANs in 1 SLURM job


def test_the_run_said_its_cost_per_job_kind_and_went_on_over_the_budget(runs):
    output = runs["output"]
    kinds = output.split("Cost per job kind on SLURM (the longest job of each; the time limit each asks for):\n")[1]
    lines = dict(line.strip().split(": ", 1) for line in kinds.splitlines()[:6] if line.startswith("  "))
    assert lines["cgan_train"].startswith("2 x up to ") and "on a GPU, limit 10 min" in lines["cgan_train"], lines
    assert lines["evaluate_fold"].startswith("2 x up to ") and lines["evaluate_fold"].endswith("limit 120 min")
    assert "more than plan.max_hours" not in output  # the budget (0.0001 h) stops local runs only


def test_the_gan_jobs_got_a_gpu_and_fell_back_to_cpu(runs):
    gan_logs = {p: log for p, log in job_logs(runs["cluster"]).items() if "/cgan/" in p}
    assert len(gan_logs) == 2
    for path, log in gan_logs.items():
        assert re.search(r"job environment: .*CUDA_VISIBLE_DEVICES=\S+", log), path
        assert "WARNING infantfer.cgan: device auto: CUDA_VISIBLE_DEVICES=" in log, path
        assert "finds no CUDA device; training on CPU" in log and "on cpu" in log, path


def test_the_gans_ran_two_per_slurm_job_each_with_one_gpu(runs):
    gan_logs = {p: log for p, log in job_logs(runs["cluster"]).items() if "/cgan/" in p}
    per_job = Counter(slurm_job_id(log) for log in gan_logs.values())
    assert sorted(per_job.values()) == [2], per_job  # group-components gans: 2 in the profile
    for job_id in per_job:
        # finished jobs stay in slurmctld for MinJobAge (300 s); sacct is disabled
        show = _run("scontrol", "-o", "show", "job", job_id).stdout
        assert re.search(r"TresPerJob=\S*gpu:1\b", show), show  # one GPU for the group, not --gpus=2
        assert "Comment=rule_gans_cgan_train" in show and "JobState=COMPLETED" in show, show
        # the group's time limit: two GANs' runtime (cgan_runtime: its 10-minute floor for tiny GANs)
        assert "TimeLimit=00:20:00" in show, show


def _time_limits(job_ids) -> dict[str, set[str]]:
    """The job kind (rule, or group) -> the TimeLimits its SLURM jobs had (finished jobs stay in
    slurmctld for MinJobAge, 300 s; sacct is disabled)."""
    limits: dict[str, set[str]] = {}
    for job_id in job_ids:
        show = _run("scontrol", "-o", "show", "job", job_id).stdout
        kind = re.search(r"Comment=rule_(\w+?)(?:_wildcards_\S*)?(?:\s|$)", show)
        limit = re.search(r"TimeLimit=(\S+)", show)
        assert kind and limit, show
        limits.setdefault(kind.group(1), set()).add(limit.group(1))
    return limits


def test_every_job_kind_keeps_its_time_limit_under_the_readme_s_command(runs):
    """The README's --default-resources (partition, account) once replaced the profile's defaults:
    every job but the GANs ran UNLIMITED. Each rule now carries its own runtime."""
    submitted = set(re.findall(r"has been submitted with SLURM jobid (\d+)", runs["output"]))
    assert _time_limits(submitted) == {"gate": {"01:00:00"}, "augment": {"01:00:00"},
                                       "evaluate_fold": {"02:00:00"}, "gans_cgan_train": {"00:20:00"}}


def test_evaluate_keeps_its_time_limit_under_the_slurm_docs_set_resources(runs):
    """docs/slurm.md's `--set-resources cgan_train:gpu_model=...` once replaced the profile's
    set-resources, evaluate_fold's 120 minutes among them."""
    run, partition = runs["cluster"], runs["partition"]
    again = slurm_snakemake(run, *on_slurm(partition, FOLD_TABLES[0], "--forcerun", "evaluate_fold",
                                           "--set-resources", "cgan_train:gpu_model=fake"), timeout=600)
    submitted = set(re.findall(r"has been submitted with SLURM jobid (\d+)", again.stdout + again.stderr))
    assert _time_limits(submitted) == {"evaluate_fold": {"02:00:00"}}


def test_metrics_equal_a_local_run(runs):
    for table in FOLD_TABLES:
        slurm_bytes = (runs["cluster"] / table).read_bytes()
        assert slurm_bytes == (runs["local"] / table).read_bytes(), table
    assert b"\tcgan\t" in (runs["cluster"] / FOLD_TABLES[0]).read_bytes()
    joined = pd.read_csv(runs["cluster"] / TARGETS[0], sep="\t")  # the fold's rows of the joined table
    fold = pd.read_csv(runs["cluster"] / FOLD_TABLES[0], sep="\t")
    key = ["arm", "classifier"]
    mine = joined[joined["fold"] == 0].sort_values(key).reset_index(drop=True)
    assert len(joined) == 2 * len(fold) and mine.equals(fold.sort_values(key).reset_index(drop=True))


def test_more_gpus_than_the_node_has_fail_fast(runs):
    """A GAN asking two GPUs on a one-GPU node, with the profile's limit raised (`--resources gpu=2`)
    so that its group asks --gpus=2: sbatch refuses it at once. Snakemake reports a failed group only
    as "Error in group gans" (GroupJob.log_error drops the plugin's message); SLURM's reason is in
    slurmctld's log. An ungrouped job gets the reason in Snakemake's own output. (Without raising the
    limit, the profile's `resources: gpu: 1` caps the sbatch request at one GPU and the job fails
    later, in its srun step: "Step requested gres=gpu:2 is more than the job's gres=gpu:1".)"""
    run, partition = runs["negative"], runs["partition"]
    ctld_log = _slurmctld_log()
    offset = ctld_log.stat().st_size if ctld_log.is_file() else 0
    start = time.monotonic()
    grouped = slurm_snakemake(run, *on_slurm(partition, f"results/{DATASET}/cgan/r0_f0_original/checkpoints.tsv",
                                             "--set-resources", "cgan_train:gpu=2", "--resources", "gpu=2"),
                              check=False, timeout=240)
    seconds = time.monotonic() - start
    output = grouped.stdout + grouped.stderr
    assert grouped.returncode != 0 and seconds < 120, (seconds, output[-3000:])  # not a wait for a GPU that never comes
    assert "Error in group gans" in output, output[-3000:]
    if ctld_log.is_file():
        with ctld_log.open() as fh:
            fh.seek(offset)
            assert "Requested node configuration is not available" in fh.read()

    single = slurm_snakemake(run, *on_slurm(partition, f"results/{DATASET}/folds/r0.tsv", "--force",
                                            "--set-resources", "split:gpu=2", "--resources", "gpu=2"),
                             check=False, timeout=240)
    output = single.stdout + single.stderr
    assert single.returncode != 0, output[-3000:]
    assert "Batch job submission failed: Requested node configuration is not available" in output, output[-3000:]
    assert "--gpus=2" in output  # the plugin shows its sbatch call


def test_a_scancelled_gan_job_resumes_in_its_retry(slurm, tmp_path):
    """`scancel` of a GAN job mid-training (as SLURM ends a job at its time limit): the profile's
    retry submits it again, with twice the time limit, and the GAN resumes from its last checkpoint
    in the new SLURM job, to the end, in the same command. (That a resumed GAN ends bit for bit as
    an uninterrupted one is tested locally: tests/test_cgan.py and tests/test_kill_resume.py.)"""
    config = {"datasets": {"k": {"layout": "demo", "counts": {"cry": 24, "laugh": 14, "neutral": 12}, "size": 16,
                                 "faces": {"detector": "none", "size": 16}}},
              "split": {"folds": 2, "repeats": 1}, "arms": {"original": {}, "cgan": {"gan": True}},
              # 300 steps (~9 s) after the first checkpoint, for squeue and scancel to land mid-GAN
              "cgan": {**TINY_GAN, "steps": 400, "checkpoint_every": 100}}
    target = "results/k/cgan/r0_f0_original/checkpoints.tsv"
    run = workdir_with_defaults(tmp_path / "run")
    (run / "tiny.yaml").write_text(yaml.safe_dump(config))
    # ingest, faces and the split locally: the queue is for the GAN
    slurm_snakemake(run, "results/k/folds/r0.tsv", "--cores", "2", "--configfile", "tiny.yaml", timeout=900)
    cancelled = subprocess.Popen(snakemake_command(*on_slurm(slurm, target)), cwd=run, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
    checkpoints = run / "results" / "k" / "cgan_checkpoints"
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline and not list(checkpoints.glob("*/step_000100.pt")):
        assert cancelled.poll() is None, cancelled.communicate()[0][-4000:]
        time.sleep(0.2)
    gan_jobs = [line.split()[0] for line in _run("squeue", "-h", "-o", "%i %k").stdout.splitlines()
                if "cgan_train" in line]
    assert len(gan_jobs) == 1, _run("squeue", "-o", "%i %k %T").stdout
    limit = re.search(r"TimeLimit=(\S+)", _run("scontrol", "-o", "show", "job", gan_jobs[0]).stdout).group(1)
    _run("scancel", gan_jobs[0])
    output, _ = cancelled.communicate(timeout=900)
    assert cancelled.returncode == 0, output[-4000:]  # the retry finished the GAN
    interrupted = next(checkpoints.glob("*/step_000100.pt")).parent
    log = (run / "logs" / "k" / "cgan" / "r0_f0_original.log").read_text()
    assert "cgan: resuming from" in log and re.search(r"\(step (100|200|300)/400, (fp32|bf16)\)", log), log[-3000:]
    retry = slurm_job_id(log)
    assert retry and retry != gan_jobs[0], log[:2000]  # a new SLURM job
    retry_limit = re.search(r"TimeLimit=(\S+)", _run("scontrol", "-o", "show", "job", retry).stdout).group(1)
    assert (limit, retry_limit) == ("00:10:00", "00:20:00")  # attempt 2: twice the limit
    assert (interrupted / "step_000400.pt").exists() and "step_000400.pt" in (run / target).read_text()
