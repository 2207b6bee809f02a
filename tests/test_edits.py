"""What an edit of the code, or a move of the project or its data, plans in a finished run (issue L):
`snakemake -n` in the shared tiny run (tests/conftest.py) with a copy of the workflow that carries
one edit. No text edit, move or version bump plans a compute job; a code edit plans its own stage
and what follows it, and Snakemake's reason names the module that changed."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import REPO, jobs_of, run_snakemake

pytestmark = pytest.mark.e2e

PACKAGE = Path("workflow") / "infantfer"
# the jobs that compute (docs/reruns.md): what no text edit, move or version bump may plan
COMPUTE = {"ingest", "faces", "split", "collect_folds", "resample", "cgan_train", "cgan_train_all", "gate", "augment",
           "privacy", "quality", "evaluate_fold", "collect_dataset", "statistics", "summary", "best_arm",
           "balanced_set", "collect_gate", "collect_privacy", "collect_quality", "provenance"}
DRAWN = {"figures", "faces_figure", "gate_figure", "quality_figure", "tables", "answer", "all"}
# what follows a GAN (the jobs that read its checkpoints, and theirs); cost reads the rerun jobs'
# benchmark files (their measured times), so it follows every compute job that reruns
AFTER_GATE = {"gate", "augment", "privacy", "quality", "collect_gate", "collect_privacy", "collect_quality",
              "evaluate_fold", "collect_dataset", "statistics", "summary", "balanced_set", "provenance", "cost", *DRAWN}
AFTER_EVALUATE = {"evaluate_fold", "collect_dataset", "statistics", "summary", "best_arm", "balanced_set", "provenance",
                  "cost", "figures", "tables", "answer", "all"}


def workflow_copy(where: Path) -> Path:
    """The workflow as a fresh checkout has it (every file new: a clone's times), to be edited."""
    code = where / "code"
    code.mkdir(parents=True)
    for name in ("workflow", "envs", "config"):
        shutil.copytree(REPO / name, code / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copy(REPO / "Snakefile", code / "Snakefile")
    os.symlink("workflow/profiles", code / "profiles")
    for path in code.rglob("*"):
        if path.is_file():
            os.utime(path)  # newer than every output: Snakemake's own code trigger would rerun all
    return code


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count))


def comment_every_module(code: Path) -> None:
    for path in [*(code / PACKAGE).rglob("*.py"), *(code / "workflow" / "scripts").glob("*.py")]:
        path.write_text(path.read_text() + "\n# a note on why, added by a test\n")


EDITS = {
    # text: no job at all
    "a comment in every module": (comment_every_module, set()),
    "the log format": (lambda code: edit(code / PACKAGE / "logs.py", 'FORMAT = "%(asctime)s %(levelname)s %(name)s: ',
                                         'FORMAT = "[%(asctime)s] %(levelname)s %(name)s - '), set()),
    "a log line's wording": (lambda code: edit(code / PACKAGE / "cgan" / "train.py", '"cgan: resuming from ',
                                               '"cgan: picking up again from '), set()),
    "__version__": (lambda code: edit(code / PACKAGE / "__init__.py", '__version__ = "', '__version__ = "1'), set()),
    # display text: what draws it, nothing that computes
    "a metric's display name": (lambda code: edit(code / PACKAGE / "metrics.py", 'display="macro F1"',
                                                  'display="F1 (macro)"'), DRAWN),
    "the report's wording": (lambda code: edit(code / PACKAGE / "report" / "answer.py",
                                               "every arm is tested on the same real test images",
                                               "all arms meet the same real test images"), {"tables", "answer", "all"}),
    # code: its own stage and what follows it
    "a gate rule": (lambda code: edit(code / PACKAGE / "gate" / "score.py", "def ", "GATE_RULE = 2\n\n\ndef "),
                    AFTER_GATE),
    "an evaluate function": (lambda code: edit(code / PACKAGE / "evaluate.py", "def features(",
                                               "EVALUATE_VERSION = 2\n\n\ndef features("), AFTER_EVALUATE),
    "the GAN's network": (lambda code: edit(code / PACKAGE / "cgan" / "networks.py", "nn.LeakyReLU(0.2)",
                                            "nn.LeakyReLU(0.1)"), {"cgan_train", "cgan_train_all", *AFTER_GATE}),
    "the cgan_train script": (lambda code: edit(code / "workflow" / "scripts" / "cgan_train.py", "limit_threads(",
                                                "CGAN_SCRIPT = 2\nlimit_threads("),
                              {"cgan_train", "cgan_train_all", *AFTER_GATE}),
}
# the module Snakemake's reason names for each code edit
REASON = {"a gate rule": "'gate.score@", "an evaluate function": "'evaluate@", "the GAN's network": "'cgan.networks@",
          "the cgan_train script": "'scripts/cgan_train.py@", "a metric's display name": "'metrics@"}


@pytest.mark.parametrize("what", list(EDITS))
def test_an_edit_plans_exactly_the_jobs_it_can_change(tiny_run, tmp_path, what):
    change, expected = EDITS[what]
    code = workflow_copy(tmp_path)
    change(code)
    dry = run_snakemake(tiny_run.path, "-n", "--cores", "1", "--configfile", "tiny.yaml",
                        snakefile=code / "Snakefile").stdout
    planned = jobs_of(dry) if "Nothing to be done" not in dry else set()
    assert planned == expected, f"{what}: planned {sorted(planned)}, expected {sorted(expected)}\n{dry[-4000:]}"
    if not expected & COMPUTE:
        assert not planned & COMPUTE
    if what in REASON:
        assert "Params have changed since last execution" in dry and REASON[what] in dry, dry[-3000:]


def test_a_moved_project_plans_nothing(tiny_run, tmp_path):
    """The finished run copied elsewhere with `cp -a` (a renamed folder, cluster scratch, a restored
    backup), its own dataset (x-1_) at a relative path, planned with a fresh checkout's workflow."""
    moved = tmp_path / "elsewhere" / "moved run"
    moved.parent.mkdir()
    subprocess.run(["cp", "-a", str(tiny_run.path), str(moved)], check=True)
    code = workflow_copy(tmp_path)
    dry = run_snakemake(moved, "-n", "--cores", "1", "--configfile", "tiny.yaml", snakefile=code / "Snakefile").stdout
    assert "Nothing to be done" in dry, dry[-3000:]


def test_a_moved_data_folder_plans_nothing_and_a_changed_file_its_dataset(tiny_run, tmp_path):
    """The config pointed at a copy of tiny_folders' images in another folder, made without keeping
    times (`cp -r`): the same files, nothing to do. One renamed image in the copy: that dataset's
    ingest and what follows."""
    config = yaml.safe_load((tiny_run.path / "tiny.yaml").read_text())
    moved = tmp_path / "data moved"
    subprocess.run(["cp", "-r", str(tiny_run.path / "folders"), str(moved)], check=True)
    config["datasets"]["tiny_folders"]["path"] = str(moved)
    (tmp_path / "moved.yaml").write_text(yaml.safe_dump(config, sort_keys=False))

    def plan():
        return run_snakemake(tiny_run.path, "-n", "--cores", "1", "--configfile", str(tmp_path / "moved.yaml")).stdout

    dry = plan()
    assert "Nothing to be done" in dry, dry[-3000:]
    image = sorted((moved / "cry").glob("*.png"))[0]
    image.rename(image.with_name("renamed.png"))
    dry = plan()
    assert "ingest" in jobs_of(dry)
    assert set(re.findall(r"dataset=([\w-]+)", dry)) == {"tiny_folders"}


def test_a_moved_project_reads_its_own_images_when_faces_rerun(tiny_run, tmp_path):
    """The manifest names images relative to the dataset's folder, joined with where the folder is
    now: after a move, a rerun of the faces stage reads the moved images, not those of the old
    place (one of the moved demo's images is damaged here: its report says so)."""
    import pandas as pd

    moved = tmp_path / "moved"
    subprocess.run(["cp", "-a", str(tiny_run.path), str(moved)], check=True)
    for table in ("manifest.tsv", "faces_report.tsv"):
        paths = pd.read_csv(moved / "results" / "tiny_demo" / table, sep="\t", dtype=str)["path"]
        assert not paths.str.startswith("/").any() and paths.str.endswith(".png").all(), table
    damaged = sorted((moved / "results" / "tiny_demo" / "images" / "cry").glob("*.png"))[0]
    damaged.write_bytes(b"not a png any more")
    run_snakemake(moved, "--cores", "1", "--configfile", "tiny.yaml", "--forcerun", "faces",
                  "results/tiny_demo/faces.npz", "results/x-1_/faces.npz")
    report = pd.read_csv(moved / "results" / "tiny_demo" / "faces_report.tsv", sep="\t", dtype=str)
    row = report[report["path"] == f"cry/{damaged.name}"]
    assert row["status"].tolist() == ["unreadable"] and str(tiny_run.path) not in " ".join(report["reason"])
    hostile = pd.read_csv(moved / "results" / "x-1_" / "faces_report.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert (hostile["status"] == "ok").all() and not hostile["path"].str.startswith("/").any()
