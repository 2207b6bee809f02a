"""Interrupts stop the GANs (issue P): Ctrl-C (SIGINT to the process group), SIGTERM to snakemake
alone (which by itself waits for the running jobs) and snakemake killed outright (its jobs become
orphans). Each time the two GANs of the run are gone within about 5 s, every checkpoint left reads
back, and the same command then resumes them from their last checkpoint."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import TINY_GAN, jobs_of, local_run_env, run_snakemake, snakemake_command, workdir_with_defaults

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc (Linux)")]

# long enough that no GAN finishes before the signal (the test checks), checkpoints early and often
CONFIG = {"datasets": {"k": {"layout": "demo", "counts": {"cry": 24, "laugh": 14, "neutral": 12}, "size": 16,
                             "faces": {"detector": "none", "size": 16}}},
          "split": {"folds": 2, "repeats": 1}, "arms": {"original": {}, "cgan": {"gan": True}},
          "cgan": {**TINY_GAN, "steps": 1000, "checkpoint_every": 100}}
GANS = ["results/k/cgan/r0_f0_original/checkpoints.tsv", "results/k/cgan/r0_f1_original/checkpoints.tsv"]
STOPPED_WITHIN_S = 5.0


def _command():
    # targets before --configfile, which takes every argument after it as a config file
    return snakemake_command(*GANS, "--cores", "2", "--configfile", "k.yaml")


@pytest.fixture(scope="module")
def split_done(tmp_path_factory) -> Path:
    """A run directory whose ingest, faces and split are done (each test copies it)."""
    work = workdir_with_defaults(tmp_path_factory.mktemp("interrupts") / "base")
    (work / "k.yaml").write_text(yaml.safe_dump(CONFIG))
    run_snakemake(work, "results/k/folds/r0.tsv", "--cores", "2", "--configfile", "k.yaml")
    return work


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _gan_processes(snakemake_pid: int) -> list[int]:
    gans = []
    for child in _children(snakemake_pid):
        try:
            if b"cgan_train" in Path(f"/proc/{child}/cmdline").read_bytes():
                gans.append(child)
        except OSError:
            pass
    return gans


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie no longer trains (an orphan's may wait for a reaper that never comes)


def _as_in_a_terminal(command: list[str]) -> list[str]:
    """``command`` with SIGINT at its default, as a terminal's foreground job has it: a suite started
    in the background of a non-interactive shell (`pytest &`, nohup) inherits SIGINT ignored, and so
    would snakemake and its jobs. (A disposition survives exec; preexec_fn is unsafe in the threads
    of a pytest-xdist worker.)"""
    reset = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])"
    return [sys.executable, "-c", reset, *command]


def _interrupted_run(work: Path, send) -> tuple[float, subprocess.Popen, list[int]]:
    """Starts the two GANs, waits until both passed a checkpoint, calls ``send(process)``; returns
    how long the GAN processes lived after it, the snakemake process and the GAN pids."""
    log = (work / "run.log").open("w")
    proc = subprocess.Popen(_as_in_a_terminal(_command()), cwd=work, stdout=log, stderr=subprocess.STDOUT,
                            env=local_run_env(), start_new_session=True)  # its own process group, as a terminal gives it
    try:
        checkpoints = work / "results" / "k" / "cgan_checkpoints"
        deadline = time.time() + 300
        gans = []
        while time.time() < deadline:
            gans = _gan_processes(proc.pid)
            if len(gans) == 2 and len(list(checkpoints.glob("*/step_000200.pt"))) == 2:
                break
            assert proc.poll() is None, (work / "run.log").read_text()[-3000:]
            time.sleep(0.1)
        else:
            pytest.fail("the two GANs did not reach step 200 in 300 s")
        sent = time.monotonic()
        send(proc)
        while any(_running(p) for p in gans) and time.monotonic() - sent < 60:
            time.sleep(0.05)
        lived = time.monotonic() - sent
        proc.wait(timeout=120)
        return lived, proc, gans
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def _checkpoints_left(work: Path) -> dict[str, list[str]]:
    from infantfer.cgan import load_checkpoint

    left = {}
    for folder in sorted((work / "results" / "k" / "cgan_checkpoints").iterdir()):
        assert not [p.name for p in folder.iterdir() if ".tmp" in p.name or p.name.startswith(".")], \
            f"a half-written file was left in {folder}"
        names = sorted(p.name for p in folder.glob("step_*.pt"))
        for name in names:
            load_checkpoint(folder / name)  # every one reads back whole
        left[folder.name] = names
    return left


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm", "snakemake killed"])
def test_an_interrupt_stops_the_gans_and_the_rerun_resumes_them(split_done, tmp_path, how):
    work = tmp_path / "run"
    shutil.copytree(split_done, work, symlinks=True)
    send = {
        "ctrl-c": lambda p: os.killpg(p.pid, signal.SIGINT),  # what the terminal sends on Ctrl-C
        "sigterm": lambda p: os.kill(p.pid, signal.SIGTERM),  # snakemake alone
        "snakemake killed": lambda p: os.kill(p.pid, signal.SIGKILL),  # snakemake alone: its jobs are orphaned
    }[how]
    lived, proc, gans = _interrupted_run(work, send)
    output = (work / "run.log").read_text()
    assert lived < STOPPED_WITHIN_S, f"the GANs trained on for {lived:.1f} s after the {how}\n{output[-3000:]}"
    assert proc.returncode != 0
    left = _checkpoints_left(work)
    assert len(left) == 2 and all(names and "step_001000.pt" not in names for names in left.values()), left
    if how == "sigterm":
        assert "SIGTERM: the GANs stop at their next step" in output
    if how != "ctrl-c":  # Ctrl-C: Python's KeyboardInterrupt in the job; here the job says why and where
        for part in ("r0_f0_original", "r0_f1_original"):
            job_log = (work / "logs" / "k" / "cgan" / f"{part}.log").read_text()
            assert "training stopped at step" in job_log and "a rerun resumes from" in job_log, job_log[-2000:]

    if how == "snakemake killed":
        run_snakemake(work, "--unlock", "--configfile", "k.yaml")
    plan = run_snakemake(work, *GANS, "-n", "--cores", "2", "--configfile", "k.yaml").stdout
    assert jobs_of(plan) == {"cgan_train"}  # nothing before the GANs is redone
    run_snakemake(work, *GANS, "--cores", "2", "--configfile", "k.yaml")
    for folder, names in left.items():
        part = folder.rsplit("-", 1)[0]
        job_log = (work / "logs" / "k" / "cgan" / f"{part}.log").read_text()
        assert f"resuming from results/k/cgan_checkpoints/{folder}/{names[-1]}" in job_log, job_log[:2000]
        assert (work / "results" / "k" / "cgan_checkpoints" / folder / "step_001000.pt").exists()
