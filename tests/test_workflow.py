"""End to end: `snakemake` on tiny configs, sharing one run where they can."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import REPO, write_image

pytestmark = pytest.mark.e2e

ARMS = {"original", "smoteenn", "cgan", "smoteenn_cgan"}
BASELINE_ARMS = {"original": {}, "weighted": {"class_weight": "balanced"}, "random_over": {"resampler": "random_over"},
                 "enn_mode": {"resampler": "smoteenn", "params": {"kind_sel": "mode"}}}
DEFAULT_ARMS = {"original": {}, "smoteenn": {"resampler": "smoteenn"}, "cgan": {"gan": True},
                "smoteenn_cgan": {"resampler": "smoteenn", "gan": True}}
TINY_GAN = {"size": 16, "steps": 20, "checkpoint_every": 10, "batch_size": 16, "g_width": 16, "d_width": 8, "z_dim": 16}
CLASSIFIERS = {"f1_adaboost", "samme", "chance", "f1_alpha_only"}


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=workdir)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}")
    return result


def workdir_with_defaults(tmp: Path) -> Path:
    """A run directory laid out like the repository root (the demo comes from the repository's config/demo.yaml)."""
    (tmp / "config").mkdir(parents=True)
    shutil.copy(REPO / "config" / "config.yaml", tmp / "config" / "config.yaml")
    return tmp


def tiny_config(folder_root: Path) -> dict:
    return {
        "datasets": {
            "tiny_demo": {"layout": "demo", "counts": {"cry": 30, "laugh": 18, "neutral": 14}, "size": 32,
                          "faces": {"detector": "none"}},
            # its own arms, none with a GAN: class weights, random oversampling, a SMOTEENN variant
            "tiny_folders": {"layout": "folders", "path": str(folder_root), "faces": {"detector": "none", "size": 16},
                             "arms": BASELINE_ARMS, "balanced": {"arm": "best"}},
        },
        "faces": {"size": 24},
        "split": {"folds": 2, "repeats": 1, "seed": 0},
        "evaluate": {"n_estimators": 5, "variants": {"f1_alpha_only": {"class_factor": "none"}}},
        "cgan": TINY_GAN,
        "gate": {"n_draws": 5},
    }


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """One full run of two small datasets through a --configfile, beside the default config."""
    from infantfer.demo import write_demo

    tmp = workdir_with_defaults(tmp_path_factory.mktemp("run"))
    write_demo(tmp / "folders", counts={"cry": 20, "laugh": 10, "neutral": 6}, size=32, seed=5)
    (tmp / "tiny.yaml").write_text(yaml.safe_dump(tiny_config(tmp / "folders"), sort_keys=False))  # arms keep their order
    result = snakemake(tmp, "--cores", "2", "--configfile", "tiny.yaml")
    return tmp, result


def test_both_datasets_produce_every_table(tiny_run):
    tmp, _ = tiny_run
    results = tmp / "results"
    assert sorted(p.name for p in results.iterdir() if p.is_dir()) == ["tiny_demo", "tiny_folders"]  # no demo
    for name in ("tiny_demo", "tiny_folders"):
        manifest = pd.read_csv(results / name / "manifest.tsv", sep="\t")
        report = pd.read_csv(results / name / "faces_report.tsv", sep="\t")
        assert sorted(report["id"]) == sorted(manifest["id"])  # every image has a faces row
        provenance = json.loads((results / name / "provenance.json").read_text())
        assert provenance["settings"]["name"] == name and provenance["seeds"]["split"] == 0
        assert provenance["packages"]["scikit-learn"] and provenance["device"]["cpu_count"]
        for table in ("per_class_f1.tsv", "confusion.tsv", "folds.tsv"):
            assert (results / name / table).stat().st_size > 0
        assert "evaluate r0 f0: " in (tmp / "logs" / name / "evaluate" / "r0_f0.log").read_text()
        assert (results / name / "benchmarks" / "faces.tsv").is_file()
    summary = pd.read_csv(results / "summary.tsv", sep="\t")
    assert set(summary["dataset"]) == {"tiny_demo", "tiny_folders"}
    assert (summary["n"] == 2).all()


def test_the_method_s_four_arms(tiny_run):
    tmp, _ = tiny_run
    results = tmp / "results"
    for name in ("tiny_demo",):
        metrics = pd.read_csv(results / name / "metrics.tsv", sep="\t")
        assert list(metrics.columns) == ["dataset", "arm", "classifier", "repeat", "fold", "macro_f1", "g_mean", "auc_ovr"]
        assert set(metrics["arm"]) == ARMS and set(metrics["classifier"]) == CLASSIFIERS
        assert len(metrics) == len(ARMS) * len(CLASSIFIERS) * 2
        assert metrics[["macro_f1", "g_mean", "auc_ovr"]].notna().all().all()
        assert metrics["macro_f1"].between(0, 1).all()
        manifest = pd.read_csv(results / name / "manifest.tsv", sep="\t")
        report = pd.read_csv(results / name / "faces_report.tsv", sep="\t")
        assert sorted(report["id"]) == sorted(manifest["id"])  # every image has a faces row
        predictions = pd.read_csv(results / name / "predictions.tsv", sep="\t")
        classes = sorted(manifest["label"].unique())
        assert [c for c in predictions.columns if c.startswith("score_")] == [f"score_{c}" for c in classes]
        # each image is tested once per arm x classifier in the single repeat
        assert len(predictions) == len(report[report["status"] == "ok"]) * len(ARMS) * len(CLASSIFIERS)
        counts = pd.read_csv(results / name / "class_counts.tsv", sep="\t")
        assert set(counts["step"]) == {"input", "after_smote", "resampled", "final"}
        final = counts[counts["step"] == "final"]
        assert set(final["arm"]) == ARMS
        assert (final["total"] == final[["real", "smote", "cgan"]].sum(axis=1)).all()
        assert (final.loc[final["arm"].isin(["original", "smoteenn"]), "cgan"] == 0).all()
        js = pd.read_csv(results / name / "js_divergence.tsv", sep="\t")
        for column in ("dataset", "arm", "repeat", "fold", "checkpoint", "class", "n_real", "js_pca", "js_pixels",
                       "js_real_baseline", "label_agreement", "real_recall", "copy_share", "chosen", "accepted"):
            assert column in js.columns, column
        assert set(js["arm"]) == {"cgan", "smoteenn_cgan"} and set(js["checkpoint"]) == {10, 20}
        assert js.groupby(["arm", "repeat", "fold", "class"])["chosen"].sum().le(1).all()
        # generated images only for accepted classes, and only from their chosen checkpoint
        for (arm, fold), table in final[final["arm"].isin(["cgan", "smoteenn_cgan"])].groupby(["arm", "fold"]):
            accepted = set(js[(js.arm == arm) & (js.fold == fold) & js.accepted]["class"])
            assert set(table.loc[table["cgan"] > 0, "label"]) <= accepted
        balanced = pd.read_csv(results / name / "balanced" / "manifest.tsv", sep="\t")
        assert list(balanced.columns) == ["id", "file", "label", "source", "checkpoint"]
        assert set(balanced["source"]) <= {"real", "smote", "cgan"} and (balanced["source"] == "real").any()
        assert all((results / name / "balanced" / f).is_file() for f in balanced["file"])


def test_snakemake_report_builds(tiny_run):
    tmp, _ = tiny_run
    snakemake(tmp, "--configfile", "tiny.yaml", "--report", "report.html")
    assert (tmp / "report.html").stat().st_size > 10_000


def test_grouped_split_keeps_babies_together(tiny_run):
    tmp, _ = tiny_run
    folds = pd.read_csv(tmp / "results" / "tiny_demo" / "folds.tsv", sep="\t")
    assert folds.groupby("group")["id"].transform("size").max() > 1  # babies with several images
    for _, table in folds.groupby(["repeat", "fold"]):
        assert not set(table[table.role == "train"]["group"]) & set(table[table.role == "test"]["group"])


def test_test_folds_hold_real_images_only(tiny_run):
    tmp, _ = tiny_run
    predictions = pd.read_csv(tmp / "results" / "tiny_demo" / "predictions.tsv", sep="\t")
    manifest = pd.read_csv(tmp / "results" / "tiny_demo" / "manifest.tsv", sep="\t")
    assert set(predictions["id"]) <= set(manifest["id"])
    assert not predictions["id"].str.startswith("smote").any()


def test_same_config_gives_identical_metrics(tiny_run):
    tmp, _ = tiny_run
    before = {name: (tmp / "results" / name / "metrics.tsv").read_bytes() for name in ("tiny_demo", "tiny_folders")}
    # regenerates every GAN arm from its checkpoints and refits every classifier
    snakemake(tmp, "--cores", "2", "--configfile", "tiny.yaml", "--forcerun", "augment", "evaluate_fold")
    for name, content in before.items():
        assert (tmp / "results" / name / "metrics.tsv").read_bytes() == content


def jobs_of(dry_run_output: str) -> set[str]:
    """Rule names in the job table of `snakemake -n`."""
    table = dry_run_output.split("Job stats:")[1].split("\n\n")[0]
    return {line.split()[0] for line in table.splitlines()[3:] if line.strip() and line.split()[0] != "total"}


@pytest.mark.parametrize(
    "change, reruns, untouched",
    [
        ({"gate": {"js_margin": 0.5}}, {"gate", "augment", "evaluate_fold", "balanced_set"}, {"cgan_train", "cgan_train_all", "resample"}),
        ({"evaluate": {"n_estimators": 6}}, {"evaluate_fold", "summary"}, {"cgan_train", "cgan_train_all", "gate", "augment"}),
        ({"cgan": {"target_ratio": 0.8}}, {"augment", "evaluate_fold"}, {"cgan_train", "cgan_train_all", "gate"}),
        ({"cgan": {"steps": 30}}, {"cgan_train", "cgan_train_all"}, {"ingest", "faces", "split", "resample"}),
        # a new arm is evaluated with the others (cheap) and never retrains or re-gates a GAN
        ({"arms": {**DEFAULT_ARMS, "weighted": {"class_weight": "balanced"},
                   "smote": {"resampler": "smote"}, "smote_cgan": {"resampler": "smote", "gan": True}}},
         {"evaluate_fold", "resample", "js_divergence"}, {"faces", "split"}),
    ],
)
def test_what_reruns_after_a_change(tiny_run, change, reruns, untouched):
    tmp, _ = tiny_run
    (tmp / "change.yaml").write_text(yaml.safe_dump(change))
    dry = snakemake(tmp, "-n", "--cores", "1", "--configfile", "tiny.yaml", "change.yaml")
    jobs = jobs_of(dry.stdout)
    assert reruns <= jobs and not (untouched & jobs), jobs
    if "smote_cgan" in change.get("arms", {}):  # only the new base's GANs: those of the old bases stay
        trained = {line.split("cgan/")[1].split("/")[0] for line in dry.stdout.splitlines()
                   if "output:" in line and "checkpoints.tsv" in line}
        assert trained and all(part.endswith("_smote") for part in trained), trained


def test_arms_without_a_gan_plan_no_gan_and_no_gate(tiny_run):
    tmp, _ = tiny_run
    (tmp / "two_arms.yaml").write_text(yaml.safe_dump({"arms": {"original": {}, "smoteenn": {"resampler": "smoteenn"}}}))
    dry = snakemake(tmp, "-n", "--cores", "1", "--configfile", "tiny.yaml", "two_arms.yaml", "--forcerun", "split")
    jobs = jobs_of(dry.stdout)
    assert {"split", "resample", "evaluate_fold", "best_arm"} <= jobs, jobs
    assert not jobs & {"cgan_train", "cgan_train_all", "gate", "augment", "js_divergence"}, jobs


def test_configfile_datasets_replace_the_demo(tiny_run):
    tmp, _ = tiny_run
    dry = snakemake(tmp, "-n", "--cores", "1", "--configfile", "tiny.yaml", "--forcerun", "ingest")
    assert "dataset=tiny_demo" in dry.stdout and "dataset=demo\n" not in dry.stdout
    default = snakemake(tmp, "-n", "--cores", "1")  # no --configfile: the demo of config/demo.yaml
    assert "dataset=demo" in default.stdout and "tiny" not in default.stdout


def test_too_few_groups_stops_before_any_job(tmp_path):
    tmp = workdir_with_defaults(tmp_path)
    for label, n in {"cry": 5, "laugh": 4, "neutral": 2}.items():
        for i in range(n):
            write_image(tmp / "data" / label / f"{i}.png", hash((label, i)) % 10_000)
    (tmp / "few.yaml").write_text(yaml.safe_dump({"datasets": {"few": {"layout": "folders", "path": "data"}}}))
    result = snakemake(tmp, "--cores", "1", "--configfile", "few.yaml", check=False)
    assert result.returncode != 0
    message = result.stdout + result.stderr
    assert "'neutral' has 2" in message and "datasets.few.split.folds" in message
    assert not (tmp / "results").exists()


def test_bad_config_is_one_clear_error_before_any_job(tmp_path):
    tmp = workdir_with_defaults(tmp_path)
    (tmp / "bad.yaml").write_text(yaml.safe_dump({"faces": {"size": "big"}}))
    result = snakemake(tmp, "--cores", "1", "--configfile", "bad.yaml", check=False)
    assert result.returncode != 0
    assert "size" in result.stderr and "big" in result.stderr
    assert not (tmp / "results").exists()


def test_lint_is_clean():
    result = subprocess.run([sys.executable, "-m", "snakemake", "--lint", "--snakefile", str(REPO / "Snakefile")],
                            capture_output=True, text=True, cwd=REPO, timeout=120)
    assert "Congratulations" in result.stdout + result.stderr, result.stdout + result.stderr


def test_a_datasets_own_baseline_arms_and_the_best_arm(tiny_run):
    """tiny_folders' own arms (no GAN): class weights, random oversampling, a SMOTEENN variant;
    balanced.arm best."""
    tmp, _ = tiny_run
    root = tmp / "results" / "tiny_folders"
    assert not (root / "cgan").exists() and not (root / "gate").exists() and not (root / "js_divergence.tsv").exists()
    metrics = pd.read_csv(root / "metrics.tsv", sep="\t")
    assert list(metrics["arm"].unique()) == list(BASELINE_ARMS)
    wide = metrics[metrics.classifier == "f1_adaboost"].pivot(index="fold", columns="arm", values="macro_f1")
    predictions = pd.read_csv(root / "predictions.tsv", sep="\t")
    weighted, original = (predictions[(predictions.arm == a) & (predictions.classifier == "f1_adaboost")] for a in ("weighted", "original"))
    assert not weighted["score_neutral"].reset_index(drop=True).equals(original["score_neutral"].reset_index(drop=True))  # the weights reached the classifier
    counts = pd.read_csv(root / "class_counts.tsv", sep="\t")
    assert list(counts.columns) == ["dataset", "repeat", "fold", "arm", "step", "label", "real", "smote",
                                    "random_over", "total", "real_removed"]
    final = counts[counts.step == "final"].set_index(["fold", "arm", "label"]).sort_index()
    for fold in (0, 1):  # random oversampling copies up to the majority and removes nothing
        ro = final.loc[(fold, "random_over")]
        assert ro["total"].nunique() == 1 and (ro["real_removed"] == 0).all()
        assert (ro["real"] == final.loc[(fold, "original"), "real"]).all()
    assert (counts.loc[counts.arm == "enn_mode", "real_removed"] >= 0).all()
    best = pd.read_csv(root / "best_arm.tsv", sep="\t")
    winner = best.loc[best["chosen"], "arm"].item()
    assert winner == wide.mean().idxmax()
    classes = pd.read_csv(root / "balanced" / "classes.tsv", sep="\t", keep_default_na=False)
    assert set(classes["arm"]) == {winner} and classes["real_available"].tolist() == [20, 10, 6]
    manifest = pd.read_csv(root / "balanced" / "manifest.tsv", sep="\t")
    assert (manifest.groupby("label").size() == classes.set_index("label")["total"]).all()
    assert "best arm for the balanced set" in (tmp / "logs" / "tiny_folders" / "best_arm.log").read_text()


def test_baselines_config_plans_its_arms(tmp_path):
    """config/baselines.yaml: GANs only for the two GAN arms' bases, a resampled set per other base."""
    tmp = workdir_with_defaults(tmp_path)
    shutil.copy(REPO / "config" / "baselines.yaml", tmp / "config" / "baselines.yaml")
    out = snakemake(tmp, "-n", "--cores", "1", "--configfile", "config/baselines.yaml").stdout
    trained = {line.split("cgan/")[1].split("/")[0] for line in out.splitlines() if "checkpoints.tsv" in line and "output:" in line}
    assert trained == {f"r0_f{f}_{b}" for f in range(3) for b in ("original", "smoteenn")} | {"all_smoteenn"}
    resampled = {line.split("resampled/")[1].split("/")[0] for line in out.splitlines() if "output:" in line and "resampled/" in line}
    assert resampled == {"random_over", "smote", "smoteenn", "smoteenn_kind_sel-mode"}
    assert "results/demo_baselines/" in out and "results/demo/" not in out
