"""`snakemake -n` and the checks before any job, on configs of their own: what a config plans, and
the one clear error it stops with. No run needed (what a change to a finished run reruns:
tests/test_reruns.py)."""
from __future__ import annotations

import shutil

import pytest
import yaml

from conftest import REPO, jobs_of, run_snakemake, tiny_config, workdir_with_defaults, write_image

pytestmark = pytest.mark.e2e


def test_lint_is_clean():
    result = run_snakemake(REPO, "--lint", check=False, timeout=120)
    assert "Congratulations" in result.stdout + result.stderr, result.stdout + result.stderr


def test_too_few_groups_stops_before_any_job(tmp_path):
    tmp = workdir_with_defaults(tmp_path)
    for label, n in {"cry": 5, "laugh": 4, "neutral": 2}.items():
        for i in range(n):
            write_image(tmp / "data" / label / f"{i}.png", hash((label, i)) % 10_000)
    (tmp / "few.yaml").write_text(yaml.safe_dump({"datasets": {"few": {"layout": "folders", "path": "data"}}}))
    result = run_snakemake(tmp, "--cores", "1", "--configfile", "few.yaml", check=False)
    assert result.returncode != 0
    message = result.stdout + result.stderr
    assert "'neutral' has 2" in message and "datasets.few.split.folds" in message
    assert not (tmp / "results").exists()


def test_bad_config_is_one_clear_error_before_any_job(tmp_path):
    tmp = workdir_with_defaults(tmp_path)
    (tmp / "bad.yaml").write_text(yaml.safe_dump({"faces": {"size": "big"}}))
    result = run_snakemake(tmp, "--cores", "1", "--configfile", "bad.yaml", check=False)
    assert result.returncode != 0
    assert "size" in result.stderr and "big" in result.stderr
    assert not (tmp / "results").exists()


def _trained_gans(dry_run_output: str) -> set[str]:
    return {line.split("cgan/")[1].split("/")[0] for line in dry_run_output.splitlines()
            if "checkpoints.tsv" in line and "output:" in line}


def test_baselines_config_plans_its_arms(tmp_path):
    """config/baselines.yaml: GANs only for the two GAN arms' bases, a resampled set per other base."""
    tmp = workdir_with_defaults(tmp_path)
    shutil.copy(REPO / "config" / "baselines.yaml", tmp / "config" / "baselines.yaml")
    out = run_snakemake(tmp, "-n", "--cores", "1", "--configfile", "config/baselines.yaml").stdout
    trained = _trained_gans(out)
    # the balanced set follows the cgan arm's recipe by default: its all-images GAN learns the real images
    assert trained == {f"r0_f{f}_{b}" for f in range(3) for b in ("original", "smoteenn")} | {"all_original"}
    resampled = {line.split("resampled/")[1].split("/")[0] for line in out.splitlines() if "output:" in line and "resampled/" in line}
    assert resampled == {"random_over", "smote", "smoteenn", "smoteenn_kind_sel-mode"}
    assert "results/demo_baselines/" in out and "results/demo/" not in out


def test_default_demo_and_quick_run_plan_their_gans(tmp_path):
    """No config: the demo of config/demo.yaml, 1 x 5 folds (an answer with intervals), a GAN per fold
    and GAN arm plus the balanced set's; config/quick.yaml: the 3-fold smoke run under its own name."""
    tmp = workdir_with_defaults(tmp_path)
    demo = run_snakemake(tmp, "-n", "--cores", "1").stdout
    assert _trained_gans(demo) == {f"r0_f{f}_{b}" for f in range(5) for b in ("original", "smoteenn")} | {"all_original"}
    assert "results/demo/" in demo
    shutil.copy(REPO / "config" / "quick.yaml", tmp / "config" / "quick.yaml")
    quick = run_snakemake(tmp, "-n", "--cores", "1", "--configfile", "config/quick.yaml").stdout
    assert _trained_gans(quick) == {f"r0_f{f}_{b}" for f in range(3) for b in ("original", "smoteenn")} | {"all_original"}
    assert "results/demo_quick/" in quick and "results/demo/" not in quick


def test_three_datasets_plan_the_critical_difference_diagrams(tmp_path):
    """With 3 or more datasets the cross-dataset test means something: a CD diagram per metric."""
    tmp = workdir_with_defaults(tmp_path)
    datasets = {f"demo{i}": {"layout": "demo", "seed": i, "faces": {"detector": "none", "size": 16}} for i in range(3)}
    (tmp / "three.yaml").write_text(yaml.safe_dump({"datasets": datasets, "split": {"folds": 2, "repeats": 1},
                                                    "arms": {"original": {}, "smote": {"resampler": "smote"}}}))
    out = run_snakemake(tmp, "-n", "--cores", "1", "--configfile", "three.yaml").stdout
    assert {"cd_diagram", "answer"} <= jobs_of(out)
    assert {f"results/figures/cd_f1_adaboost_{m}.png" for m in ("macro_f1", "g_mean", "auc_ovr")} <= set(out.split())


def test_arms_without_a_gan_plan_no_gan_and_no_gate(tmp_path):
    """The tiny datasets with two arms, none with a GAN, planned from scratch (every job)."""
    from infantfer.demo import write_demo

    tmp = workdir_with_defaults(tmp_path / "run")
    write_demo(tmp / "folders", counts={"cry": 20, "laugh": 10, "neutral": 6}, size=32, seed=5)
    config = tiny_config(tmp / "folders")
    config["arms"] = {"original": {}, "smoteenn": {"resampler": "smoteenn"}}  # tiny_folders keeps its own
    (tmp / "two_arms.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    jobs = jobs_of(run_snakemake(tmp, "-n", "--cores", "1", "--configfile", "two_arms.yaml").stdout)
    assert {"split", "resample", "evaluate_fold", "best_arm"} <= jobs, jobs
    assert not jobs & {"cgan_train", "cgan_train_all", "gate", "augment", "privacy", "collect_gate"}, jobs
