"""What a change reruns: `snakemake -n` in the shared finished tiny run (tests/conftest.py: tiny_run)
after a change of config or data (of code, or a move: tests/test_edits.py); tests/test_workflow.py
checks the run's results."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import jobs_of, run_snakemake, write_image

pytestmark = pytest.mark.e2e

DEFAULT_ARMS = {"original": {}, "smoteenn": {"resampler": "smoteenn"}, "cgan": {"gan": True},
                "smoteenn_cgan": {"resampler": "smoteenn", "gan": True}}


def plan(run: Path, tmp_path: Path, change: dict | None = None) -> str:
    """`snakemake -n` in the shared run with its tiny.yaml and ``change`` (a config file of the
    test's own, not in the shared folder): the output."""
    configs = ["tiny.yaml"]
    if change is not None:
        (tmp_path / "change.yaml").write_text(yaml.safe_dump(change))
        configs.append(str(tmp_path / "change.yaml"))
    return run_snakemake(run, "-n", "--cores", "1", "--configfile", *configs).stdout


@pytest.mark.parametrize(
    "change, reruns, untouched",
    [
        ({"gate": {"js_margin": 0.5}}, {"gate", "augment", "evaluate_fold", "balanced_set"}, {"cgan_train", "cgan_train_all", "resample"}),
        ({"evaluate": {"n_estimators": 6}}, {"evaluate_fold", "summary"}, {"cgan_train", "cgan_train_all", "gate", "augment"}),
        ({"cgan": {"target_ratio": 0.8}}, {"augment", "evaluate_fold"}, {"cgan_train", "cgan_train_all", "gate"}),
        ({"cgan": {"steps": 30}}, {"cgan_train", "cgan_train_all"}, {"ingest", "faces", "split", "resample"}),
        # the faces' size is the faces job's: the images are listed and hashed as before
        ({"faces": {"size": 20}}, {"faces", "split", "resample", "cgan_train", "gate", "evaluate_fold"}, {"ingest"}),
        # the answer's settings redo the answer, never what it is computed from
        # (and the figures, whose forest plot draws the comparisons; not the faces or the gate)
        ({"statistics": {"alpha": 0.01}}, {"statistics", "tables", "answer", "figures"},
         {"evaluate_fold", "collect_dataset", "cgan_train", "gate", "augment", "resample", "faces_figure",
          "gate_figure"}),
        ({"report": {"show_real_faces": True}}, {"faces_figure"},
         {"evaluate_fold", "statistics", "cgan_train", "gate", "augment", "resample", "faces", "figures"}),
        # a new arm is evaluated with the others (cheap) and never retrains or re-gates a GAN
        ({"arms": {**DEFAULT_ARMS, "weighted": {"class_weight": "balanced"},
                   "smote": {"resampler": "smote"}, "smote_cgan": {"resampler": "smote", "gan": True}}},
         {"evaluate_fold", "resample", "collect_gate"}, {"faces", "split"}),
    ],
)
def test_what_reruns_after_a_change(tiny_run, tmp_path, change, reruns, untouched):
    dry = plan(tiny_run.path, tmp_path, change)
    jobs = jobs_of(dry)
    assert reruns <= jobs and not (untouched & jobs), jobs
    if "smote_cgan" in change.get("arms", {}):  # only the new base's GANs: those of the old bases stay
        trained = {line.split("cgan/")[1].split("/")[0] for line in dry.splitlines()
                   if "output:" in line and "checkpoints.tsv" in line}
        assert trained and all(part.endswith("_smote") for part in trained), trained


def planned_jobs(dry_run_output: str) -> list[dict]:
    """Each job of `snakemake -n`'s listing: its rule, wildcards and outputs."""
    import re

    jobs = []
    for line in dry_run_output.splitlines():
        text = line.strip()
        rule = re.fullmatch(r"(?:local)?(?:rule|checkpoint) (\w+):", text)
        if rule:
            jobs.append({"rule": rule.group(1), "wildcards": {}, "output": []})
        elif jobs and text.startswith("wildcards: "):
            jobs[-1]["wildcards"] = dict(kv.split("=", 1) for kv in text.removeprefix("wildcards: ").split(", "))
        elif jobs and text.startswith("output: "):
            jobs[-1]["output"] = text.removeprefix("output: ").split(", ")
    return jobs


# the jobs that join every dataset: they rerun whatever changed in one of them
ACROSS_DATASETS = {"summary", "answer", "all"}


def test_a_new_repeat_runs_only_its_own_folds(tiny_run, tmp_path):
    jobs = planned_jobs(plan(tiny_run.path, tmp_path, {"split": {"repeats": 2}}))  # tiny_demo: 1 -> 2
    rules = {job["rule"] for job in jobs}
    assert {"split", "resample", "cgan_train", "gate", "augment", "evaluate_fold", "collect_folds", "collect_dataset",
            "statistics"} <= rules, rules
    assert "cgan_train_all" not in rules  # the balanced set's GAN learns from every image, whatever the folds
    for job in jobs:
        if job["rule"] not in ACROSS_DATASETS:
            assert job["wildcards"]["dataset"] == "tiny_demo", job  # the others set their own repeats
        part = job["wildcards"].get("part") or (job["wildcards"].get("repeat") and f"r{job['wildcards']['repeat']}_")
        assert not part or part.startswith("r1_") or part == "all", job  # nothing of repeat 0 is redone
    assert any(job["rule"] == "split" and job["output"] == ["results/tiny_demo/folds/r1.tsv"] for job in jobs)


def test_a_new_dataset_runs_only_its_own_branch(tiny_run, tmp_path):
    new = {"datasets": {"tiny_new": {"layout": "demo", "counts": {"cry": 20, "laugh": 12, "neutral": 12}, "size": 32,
                                     "seed": 3, "faces": {"detector": "none"}}}}
    jobs = planned_jobs(plan(tiny_run.path, tmp_path, new))
    assert {"ingest", "cgan_train", "evaluate_fold", "statistics"} <= {job["rule"] for job in jobs}
    others = [job for job in jobs if job["rule"] not in ACROSS_DATASETS and job["wildcards"]["dataset"] != "tiny_new"]
    assert not others, others


def test_an_edited_image_reruns_its_dataset_only(tiny_run_to_change, tmp_path):
    import os

    tmp = tiny_run_to_change.path
    image = sorted((tmp / "folders" / "cry").glob("*.png"))[0]
    original, stat = image.read_bytes(), image.stat()
    try:
        write_image(image, seed=12345, size=32, mode="RGB")
        jobs = planned_jobs(plan(tmp, tmp_path))
    finally:  # the run is shared: put the image back as it was, time included
        image.write_bytes(original)
        os.utime(image, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert "ingest" in {job["rule"] for job in jobs}
    assert {job["wildcards"]["dataset"] for job in jobs if job["rule"] not in ACROSS_DATASETS} == {"tiny_folders"}


def test_configfile_datasets_replace_the_demo(tiny_run):
    tmp = tiny_run.path
    dry = run_snakemake(tmp, "-n", "--cores", "1", "--configfile", "tiny.yaml", "--forcerun", "ingest")
    assert "dataset=tiny_demo" in dry.stdout and "dataset=demo\n" not in dry.stdout
    default = run_snakemake(tmp, "-n", "--cores", "1")  # no --configfile: the demo of config/demo.yaml
    # (the shared answer job's rerun reason quotes its old facts, which name the tiny datasets)
    assert "dataset=demo" in default.stdout and "dataset=tiny" not in default.stdout
