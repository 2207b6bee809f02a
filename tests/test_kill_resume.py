"""Workflow-level kill-and-resume: `kill -9` of the whole snakemake process group mid-GAN, then the
same command. Its own file, so that it runs beside the shared tiny run (pytest-xdist)."""
from __future__ import annotations

import subprocess

import pytest
import yaml

from conftest import TINY_GAN, jobs_of, local_run_env, run_snakemake, snakemake_command, workdir_with_defaults

pytestmark = pytest.mark.e2e


def test_a_run_killed_in_a_gan_resumes_and_ends_as_an_uninterrupted_one(tmp_path):
    """kill -9 of the whole snakemake process group mid-GAN: after --unlock the same command resumes
    the GAN from its last checkpoint, redoes nothing finished, and ends with the uninterrupted
    run's metrics."""
    import os
    import signal
    import time

    config = {"datasets": {"k": {"layout": "demo", "counts": {"cry": 24, "laugh": 14, "neutral": 12}, "size": 16,
                                 "faces": {"detector": "none", "size": 16}}},
              "split": {"folds": 2, "repeats": 1}, "arms": {"original": {}, "cgan": {"gan": True}},
              "balanced": {"arm": "original"}, "evaluate": {"n_estimators": 3, "classifiers": ["f1_adaboost"]},
              # the fewest steps that leave the kill time to land mid-GAN: 150 steps (~4 s) after
              # the first checkpoint, which the test waits for
              "cgan": {**TINY_GAN, "steps": 200, "checkpoint_every": 50}, "gate": {"n_draws": 3}}
    runs = {}
    for name in ("whole", "killed"):
        runs[name] = workdir_with_defaults(tmp_path / name)
        (runs[name] / "k.yaml").write_text(yaml.safe_dump(config))
    # one fold's GAN, gate and evaluation: the jobs a kill can hit, without the rest of the DAG
    targets = ["results/k/evaluate/r0_f0/metrics.tsv", "results/k/gate/r0_f0_original.tsv"]
    # targets before --configfile, which takes every argument after it as a config file
    cmd = snakemake_command(*targets, "--cores", "1", "--configfile", "k.yaml")
    # the uninterrupted run on the other core, meanwhile; its output in a file (a pipe nobody reads
    # can fill and stall it), and stopped whatever happens here
    whole_log = (tmp_path / "whole.log").open("w")
    whole = subprocess.Popen(cmd, cwd=runs["whole"], stdout=whole_log, stderr=subprocess.STDOUT, env=local_run_env())
    try:
        proc = subprocess.Popen(cmd, cwd=runs["killed"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True, env=local_run_env())
        checkpoints = runs["killed"] / "results" / "k" / "cgan_checkpoints"
        deadline = time.time() + 900
        while time.time() < deadline and not list(checkpoints.glob("*/step_000050.pt")):
            time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGKILL)  # the whole group: snakemake and the job it runs
        proc.wait()
        first = sorted(checkpoints.glob("*/step_000050.pt"))
        assert first, "no GAN reached its first checkpoint before the deadline"
        interrupted = first[0].parent
        assert not (interrupted / "step_000200.pt").exists(), "the GAN finished before the kill reached it"

        locked = run_snakemake(runs["killed"], *targets, "--cores", "1", "--configfile", "k.yaml", check=False)
        assert locked.returncode != 0 and "--unlock" in locked.stdout + locked.stderr
        run_snakemake(runs["killed"], "--unlock", "--configfile", "k.yaml")
        plan = run_snakemake(runs["killed"], *targets, "-n", "--cores", "1", "--configfile", "k.yaml").stdout
        assert not {"ingest", "faces", "split"} & jobs_of(plan)  # finished before the kill: not redone
        run_snakemake(runs["killed"], *targets, "--cores", "1", "--configfile", "k.yaml")
        assert whole.wait(timeout=1500) == 0, (tmp_path / "whole.log").read_text()[-3000:]
    finally:
        if whole.poll() is None:
            whole.kill()
            whole.wait()
        whole_log.close()
    part = interrupted.name.split("-")[0]  # e.g. r0_f0_original
    log = (runs["killed"] / "logs" / "k" / "cgan" / f"{part}.log").read_text()
    assert "cgan: resuming from" in log and any(f"(step {step}/200, " in log for step in (50, 100, 150))
    for table in targets:
        assert (runs["killed"] / table).read_bytes() == (runs["whole"] / table).read_bytes()
