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

from conftest import REPO, local_run_env, write_image

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
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=1500, cwd=workdir, env=local_run_env())
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
                             "arms": BASELINE_ARMS, "balanced": {"arm": "best"},
                             "split": {"folds": 2, "repeats": 3}},  # n = 6: enough pairs to test
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
    assert summary.groupby("dataset")["n"].unique().map(list).to_dict() == {"tiny_demo": [2], "tiny_folders": [6]}


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
                       "js_real_baseline", "label_agreement", "real_recall", "copy_share", "chosen"):
            assert column in js.columns, column
        assert set(js["arm"]) == {"cgan", "smoteenn_cgan"} and set(js["checkpoint"]) == {10, 20}
        assert js.groupby(["arm", "repeat", "fold", "class"])["chosen"].sum().le(1).all()
        # generated images only for accepted classes, and only from their chosen checkpoint
        for (arm, fold), table in final[final["arm"].isin(["cgan", "smoteenn_cgan"])].groupby(["arm", "fold"]):
            accepted = set(js[(js.arm == arm) & (js.fold == fold) & js.chosen]["class"])
            assert set(table.loc[table["cgan"] > 0, "label"]) <= accepted
        # the privacy audit covers exactly the generated images each GAN arm's fold holds
        audit = pd.read_csv(results / name / "privacy.tsv", sep="\t")
        assert len(audit) == 2 * 2 * len(classes)  # GAN arms x folds x classes, classes without images too
        held = final.set_index(["arm", "fold", "label"])["cgan"]
        for row in audit.itertuples():
            assert row.n_generated == held[(row.arm, row.fold, row[audit.columns.get_loc("class") + 1])], row
        for (arm, fold), audited in audit.groupby(["arm", "fold"]):  # one membership AUC per set
            if audited["n_generated"].sum():
                assert audited["mia_auc_pixels"].between(0, 1).all() and audited["mia_note"].isna().all()
            else:  # a set that got no generated image has nothing to attack
                assert audited["mia_auc_pixels"].isna().all() and set(audited["mia_note"]) == {"nothing generated"}
        copies = audit[audit["n_generated"] > 0]
        assert copies["copy_share"].between(0, 1).all() and (copies["threshold_pixels"] > 0).all()
        # one copy reference per fold, whatever the arm (the fold's real training images, as the gate's)
        assert (audit.groupby("fold")[["threshold_pixels", "threshold_features"]].nunique() == 1).all().all()
        balanced = pd.read_csv(results / name / "balanced" / "manifest.tsv", sep="\t")
        assert list(balanced.columns) == ["id", "file", "label", "source", "checkpoint"]
        balanced_audit = pd.read_csv(results / name / "balanced" / "privacy.tsv", sep="\t")
        assert balanced_audit["mia_auc_pixels"].isna().all()
        assert set(balanced_audit["mia_note"]) == {"no held-back images: part all has no test fold"}
        kept = balanced[balanced["source"] == "cgan"].groupby("label").size()
        assert balanced_audit.set_index("class")["n_generated"].to_dict() == {c: kept.get(c, 0) for c in classes}
        assert set(balanced["source"]) <= {"real", "smote", "cgan"} and (balanced["source"] == "real").any()
        assert all((results / name / "balanced" / f).is_file() for f in balanced["file"])


def test_statistics_of_the_run(tiny_run):
    """statistics.tsv per dataset, the thesis' claim and the answer, from the run's own metrics."""
    tmp, _ = tiny_run
    results = tmp / "results"
    demo = pd.read_csv(results / "tiny_demo" / "statistics.tsv", sep="\t")
    pairs = list(dict.fromkeys(zip(demo["arm"], demo["baseline"])))
    assert pairs == [("smoteenn", "original"), ("cgan", "original"), ("smoteenn_cgan", "original"),
                     ("smoteenn_cgan", "cgan"), ("smoteenn_cgan", "smoteenn")]
    assert len(demo) == len(pairs) * len(CLASSIFIERS) * 3
    assert (demo["n"] == 2).all() and demo["p_holm"].isna().all()
    assert set(demo["verdict"]) <= {"too few folds to test", "identical"}
    assert demo.loc[demo["verdict"] == "too few folds to test", "ci_low"].isna().all()
    metrics = pd.read_csv(results / "tiny_demo" / "metrics.tsv", sep="\t")
    row = demo[(demo.arm == "cgan") & (demo.classifier == "f1_adaboost") & (demo.metric == "macro_f1")].iloc[0]
    wide = metrics[metrics.classifier == "f1_adaboost"].pivot(index="fold", columns="arm", values="macro_f1")
    assert row["mean_diff"] == pytest.approx((wide["cgan"] - wide["original"]).mean(), abs=1e-6)

    folders = pd.read_csv(results / "tiny_folders" / "statistics.tsv", sep="\t")
    assert set(folders["baseline"]) == {"original"} and (folders["n"] == 6).all()  # no smoteenn_cgan: no method pairs
    assert (folders["ratio_used"] == 1.0).all() and folders["ratio_measured"].between(0.8, 1.25).all()
    tested = folders[folders["verdict"].isin(["higher", "lower", "equivalent", "inconclusive"])]
    assert len(tested) and tested[["ci_low", "ci_high", "p_corrected", "p_holm"]].notna().all().all()
    assert (tested["ci_low"] <= tested["mean_diff"]).all() and (tested["mean_diff"] <= tested["ci_high"]).all()
    assert (tested["p_holm"] >= tested["p_corrected"] - 1e-12).all()
    assert tested[["p_lower", "p_rope", "p_higher", "p_tost", "detectable_points"]].notna().all().all()
    assert (folders.loc[folders["classifier"] == "chance", "verdict"].isna()).all()  # a sanity row: no verdict

    claim = pd.read_csv(results / "thesis_claim.tsv", sep="\t")
    assert set(claim["dataset"]) == {"tiny_demo", "mean over datasets"}
    f1 = claim[(claim.dataset == "tiny_demo") & (claim.metric == "macro_f1")].iloc[0]
    wide = wide[["cgan", "smoteenn_cgan"]]
    assert f1["change_points"] == pytest.approx(100 * (wide["smoteenn_cgan"] - wide["cgan"]).mean(), abs=1e-4)
    assert f1["thesis_pct"] == 6.3
    summary = (results / "summary.md").read_text()
    assert "## tiny_demo" in summary and "Too few folds to test: n = 2" in summary
    assert "## tiny_folders" in summary and "n = 6" in summary


def _report_payloads(html: str) -> str:
    """The report page with every embedded file (base64 data URIs) decoded beside it."""
    import base64
    import re

    decoded = []
    for m in re.finditer(r"data:[\w/.+-]+(?:;[\w=.-]+)*;base64,([A-Za-z0-9+/=]+)", html):
        try:
            decoded.append(base64.b64decode(m.group(1)).decode("utf-8", errors="ignore"))
        except ValueError:
            pass
    return html + "\n".join(decoded)


def test_report_answers_and_opens_in_a_browser(tiny_run, tmp_path):
    """The report of the tiny run: built in the workflow's env, its first page states the answer and
    Table 4, it names no absolute path or original file, and headless Chromium renders it without
    console errors (skipped where Chromium is absent)."""
    tmp, _ = tiny_run
    snakemake(tmp, "--configfile", "tiny.yaml", "--report", "report.html")
    page = (tmp / "report.html").read_text()
    everything = _report_payloads(page)
    assert str(tmp) not in everything and "/work/" not in everything and str(Path.home()) + "/" not in everything
    originals = pd.read_csv(tmp / "results" / "tiny_folders" / "manifest.tsv", sep="\t")["path"].map(lambda p: Path(p).name)
    assert not [name for name in originals if name in everything]  # no original file name, e.g. demo_0003.png
    for figure in ("class_counts", "faces", "gate", "metrics_folds", "confusion", "per_class_f1", "forest"):
        assert f"{figure}.png" in page
    for table in ("table2_class_counts.html", "table3_gate.html", "table4_arms.html", "statistics.tsv", "thesis_claim.tsv"):
        assert table in page

    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if chromium is None:
        pytest.skip("Chromium is not installed (bash envs/system-setup.sh as root installs it): report not opened")
    args = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
            "--virtual-time-budget=10000", "--window-size=1400,1800"]

    def console_messages(url: str) -> tuple[str, list[str]]:
        dom = subprocess.run([*args, "--dump-dom", url], capture_output=True, text=True, timeout=120)
        assert dom.returncode == 0, dom.stderr[-2000:]
        # every console message counts, but the one Snakemake's bundled Tailwind always prints
        messages = [line for line in dom.stderr.splitlines() if ":CONSOLE" in line and
                    "should not be used in production" not in line]
        return dom.stdout, messages

    planted = tmp_path / "planted.html"  # the filter sees a page's console.error
    planted.write_text("<html><body><script>console.error('planted error')</script></body></html>")
    assert any("planted error" in m for m in console_messages(planted.as_uri())[1])

    url = (tmp / "report.html").as_uri()
    dom, messages = console_messages(url)
    assert not messages, messages
    import re

    visible = re.sub(r"<script\b[^>]*>.*?</script>", "", dom, flags=re.S | re.I)  # rendered, not embedded, text
    assert "Did balancing help?" in visible
    assert "Too few folds to test: n = 2 paired test folds" in visible  # tiny_demo: 1 x 2 folds
    assert "The method&#x27;s headline" in visible or "The method's headline" in visible
    assert "tiny_demo (f1_adaboost, n = 2 paired test folds): too few folds to test anything" in visible  # the lead
    assert "Table 4 of tiny_demo" in visible and "is a page of its own" in visible  # not in the narrow column
    assert 'class="admonition warning"' in visible and "data:image/png;base64," in dom  # styled; the forest plot
    metrics = pd.read_csv(tmp / "results" / "tiny_demo" / "metrics.tsv", sep="\t")
    cgan = metrics[(metrics.arm == "cgan") & (metrics.classifier == "f1_adaboost")]["macro_f1"]
    assert f"{cgan.mean():.3f} ± {cgan.std(ddof=1):.3f}" in everything  # Table 4's cell, on its own page
    shot = tmp_path / "report.png"
    subprocess.run([*args, f"--screenshot={shot}", url], capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 20_000  # a rendered page, not a blank one


def test_logs_and_provenance_name_no_absolute_path_but_the_configs(tiny_run):
    """Logs name files relative to the run (or the dataset folder); provenance.json holds the
    dataset's path only where the config gave it (needed to run again from it), nowhere else."""
    tmp, _ = tiny_run
    logs = {p: p.read_text() for p in (tmp / "logs").rglob("*.log")}
    assert len(logs) > 20
    leaks = {str(p.relative_to(tmp)): line for p, text in logs.items() for line in text.splitlines()
             if str(tmp) in line or str(REPO) in line or str(Path.home()) + "/" in line}
    assert not leaks, leaks
    folders = str(tmp / "folders")
    for name in ("tiny_demo", "tiny_folders"):
        record = json.loads((tmp / "results" / name / "provenance.json").read_text())
        given = record["settings"]["path"] if name == "tiny_folders" else None
        assert given in (None, folders)

        def strings(node, where=""):
            if isinstance(node, dict):
                for k, v in node.items():
                    yield from strings(v, f"{where}.{k}")
            elif isinstance(node, list):
                for i, v in enumerate(node):
                    yield from strings(v, f"{where}[{i}]")
            elif isinstance(node, str):
                yield where, node

        absolute = {where: text for where, text in strings(record) if str(tmp) in text or str(REPO) in text}
        assert absolute == ({".settings.path": folders} if given else {}), absolute


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
    # one fold of each dataset: its GAN arms regenerated from their checkpoints, every arm's
    # classifiers refitted (a fresh run from scratch: test_one_fold_reruns_from_its_provenance_alone)
    folds = ["results/tiny_demo/evaluate/r0_f0/metrics.tsv", "results/tiny_folders/evaluate/r2_f1/metrics.tsv"]
    before = {table: (tmp / table).read_bytes() for table in folds}
    rerun = snakemake(tmp, *folds, "--cores", "2", "--configfile", "tiny.yaml", "--forcerun", "augment", "evaluate_fold")
    assert jobs_of(rerun.stdout + rerun.stderr) == {"augment", "evaluate_fold"}, rerun.stderr[-2000:]
    for table, content in before.items():
        assert (tmp / table).read_bytes() == content, table


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


def test_a_new_repeat_runs_only_its_own_folds(tiny_run):
    tmp, _ = tiny_run
    (tmp / "repeats.yaml").write_text(yaml.safe_dump({"split": {"repeats": 2}}))  # tiny_demo: 1 -> 2
    jobs = planned_jobs(snakemake(tmp, "-n", "--cores", "1", "--configfile", "tiny.yaml", "repeats.yaml").stdout)
    rules = {job["rule"] for job in jobs}
    assert {"split", "resample", "cgan_train", "gate", "augment", "evaluate_fold", "collect_folds", "collect_dataset",
            "statistics"} <= rules, rules
    assert "cgan_train_all" not in rules  # the balanced set's GAN learns from every image, whatever the folds
    for job in jobs:
        if job["rule"] not in ACROSS_DATASETS:
            assert job["wildcards"]["dataset"] == "tiny_demo", job  # tiny_folders sets its own repeats
        part = job["wildcards"].get("part") or (job["wildcards"].get("repeat") and f"r{job['wildcards']['repeat']}_")
        assert not part or part.startswith("r1_") or part == "all", job  # nothing of repeat 0 is redone
    assert any(job["rule"] == "split" and job["output"] == ["results/tiny_demo/folds/r1.tsv"] for job in jobs)


def test_a_new_dataset_runs_only_its_own_branch(tiny_run):
    tmp, _ = tiny_run
    new = {"datasets": {"tiny_new": {"layout": "demo", "counts": {"cry": 20, "laugh": 12, "neutral": 12}, "size": 32,
                                     "seed": 3, "faces": {"detector": "none"}}}}
    (tmp / "new.yaml").write_text(yaml.safe_dump(new))
    jobs = planned_jobs(snakemake(tmp, "-n", "--cores", "1", "--configfile", "tiny.yaml", "new.yaml").stdout)
    assert {"ingest", "cgan_train", "evaluate_fold", "statistics"} <= {job["rule"] for job in jobs}
    others = [job for job in jobs if job["rule"] not in ACROSS_DATASETS and job["wildcards"]["dataset"] != "tiny_new"]
    assert not others, others


def test_an_edited_image_reruns_its_dataset_only(tiny_run):
    import os

    tmp, _ = tiny_run
    image = sorted((tmp / "folders" / "cry").glob("*.png"))[0]
    original, stat = image.read_bytes(), image.stat()
    try:
        write_image(image, seed=12345, size=32, mode="RGB")
        jobs = planned_jobs(snakemake(tmp, "-n", "--cores", "1", "--configfile", "tiny.yaml").stdout)
    finally:  # the module's run is shared: put the image back as it was, time included
        image.write_bytes(original)
        os.utime(image, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert "ingest" in {job["rule"] for job in jobs}
    assert {job["wildcards"]["dataset"] for job in jobs if job["rule"] not in ACROSS_DATASETS} == {"tiny_folders"}


def test_package_code_reruns_on_logic_not_on_comments(tiny_run, tmp_path):
    """Snakemake sees a rule's script, not the package modules it calls: the rules carry a digest of
    those modules' logic (infantfer.provenance.CodeVersions). The finished run, planned with a copy
    of the workflow whose gate module has a new comment, then a logic change."""
    tmp, _ = tiny_run
    code = tmp_path / "code"
    shutil.copytree(REPO / "workflow", code / "workflow", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "envs", code / "envs")
    shutil.copy(REPO / "Snakefile", code / "Snakefile")
    gate = code / "workflow" / "infantfer" / "gate" / "run.py"  # where gate_run lives

    def plan():
        cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(code / "Snakefile"), "-n", "--cores", "1",
               "--configfile", "tiny.yaml"]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=tmp, env=local_run_env())
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return result.stdout

    gate.write_text(gate.read_text().replace("def gate_run(", "# a comment on why\ndef gate_run(", 1))
    assert "Nothing to be done" in plan()
    gate.write_text(gate.read_text().replace("def gate_run(", "GATE_LOGIC = 2\n\n\ndef gate_run(", 1))
    rules = jobs_of(plan())
    assert {"gate", "augment", "evaluate_fold", "collect_gate"} <= rules, rules
    assert not rules & {"ingest", "faces", "split", "resample", "cgan_train", "cgan_train_all"}, rules


def test_one_fold_reruns_from_its_provenance_alone(tiny_run, tmp_path):
    """provenance.json holds every resolved setting and seed: its config (infantfer.provenance.
    config_from), in a fresh folder, gives the same fold metrics, byte for byte."""
    from infantfer.provenance import config_from

    tmp, _ = tiny_run
    record = json.loads((tmp / "results" / "tiny_demo" / "provenance.json").read_text())
    assert {"torch", "numpy", "scikit-learn", "imbalanced-learn", "opencv-python-headless", "snakemake"} <= set(
        k for k, v in record["packages"].items() if v)
    fresh = workdir_with_defaults(tmp_path / "again")
    (fresh / "rerun.yaml").write_text(yaml.safe_dump(config_from(record), sort_keys=False))  # arms keep their order
    table = "results/tiny_demo/evaluate/r0_f1/metrics.tsv"
    snakemake(fresh, table, "--cores", "2", "--configfile", "rerun.yaml")
    assert (fresh / table).read_bytes() == (tmp / table).read_bytes()


def test_arms_without_a_gan_plan_no_gan_and_no_gate(tiny_run):
    tmp, _ = tiny_run
    (tmp / "two_arms.yaml").write_text(yaml.safe_dump({"arms": {"original": {}, "smoteenn": {"resampler": "smoteenn"}}}))
    dry = snakemake(tmp, "-n", "--cores", "1", "--configfile", "tiny.yaml", "two_arms.yaml", "--forcerun", "split")
    jobs = jobs_of(dry.stdout)
    assert {"split", "resample", "evaluate_fold", "best_arm"} <= jobs, jobs
    assert not jobs & {"cgan_train", "cgan_train_all", "gate", "augment", "privacy", "collect_gate"}, jobs


def test_configfile_datasets_replace_the_demo(tiny_run):
    tmp, _ = tiny_run
    dry = snakemake(tmp, "-n", "--cores", "1", "--configfile", "tiny.yaml", "--forcerun", "ingest")
    assert "dataset=tiny_demo" in dry.stdout and "dataset=demo\n" not in dry.stdout
    default = snakemake(tmp, "-n", "--cores", "1")  # no --configfile: the demo of config/demo.yaml
    # (the shared answer job's rerun reason quotes its old facts, which name the tiny datasets)
    assert "dataset=demo" in default.stdout and "dataset=tiny" not in default.stdout


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
                            capture_output=True, text=True, cwd=REPO, timeout=120, env=local_run_env())
    assert "Congratulations" in result.stdout + result.stderr, result.stdout + result.stderr


def test_a_datasets_own_baseline_arms_and_the_best_arm(tiny_run):
    """tiny_folders' own arms (no GAN): class weights, random oversampling, a SMOTEENN variant;
    balanced.arm best."""
    tmp, _ = tiny_run
    root = tmp / "results" / "tiny_folders"
    assert not (root / "cgan").exists() and not (root / "gate").exists() and not (root / "js_divergence.tsv").exists()
    metrics = pd.read_csv(root / "metrics.tsv", sep="\t")
    assert list(metrics["arm"].unique()) == list(BASELINE_ARMS)
    wide = metrics[metrics.classifier == "f1_adaboost"].pivot(index=["repeat", "fold"], columns="arm", values="macro_f1")
    predictions = pd.read_csv(root / "predictions.tsv", sep="\t")
    weighted, original = (predictions[(predictions.arm == a) & (predictions.classifier == "f1_adaboost")] for a in ("weighted", "original"))
    assert not weighted["score_neutral"].reset_index(drop=True).equals(original["score_neutral"].reset_index(drop=True))  # the weights reached the classifier
    counts = pd.read_csv(root / "class_counts.tsv", sep="\t")
    assert list(counts.columns) == ["dataset", "repeat", "fold", "arm", "step", "label", "real", "smote",
                                    "random_over", "total", "real_removed"]
    final = counts[counts.step == "final"].set_index(["repeat", "fold", "arm", "label"]).sort_index()
    for part in [(r, f) for r in range(3) for f in range(2)]:  # random oversampling copies up to the majority, removes nothing
        ro = final.loc[(*part, "random_over")]
        assert ro["total"].nunique() == 1 and (ro["real_removed"] == 0).all()
        assert (ro["real"] == final.loc[(*part, "original"), "real"]).all()
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


def test_three_datasets_plan_the_critical_difference_diagrams(tmp_path):
    """With 3 or more datasets the cross-dataset test means something: a CD diagram per metric."""
    tmp = workdir_with_defaults(tmp_path)
    datasets = {f"demo{i}": {"layout": "demo", "seed": i, "faces": {"detector": "none", "size": 16}} for i in range(3)}
    (tmp / "three.yaml").write_text(yaml.safe_dump({"datasets": datasets, "split": {"folds": 2, "repeats": 1},
                                                    "arms": {"original": {}, "smote": {"resampler": "smote"}}}))
    out = snakemake(tmp, "-n", "--cores", "1", "--configfile", "three.yaml").stdout
    assert {"cd_diagram", "answer"} <= jobs_of(out)
    assert {f"results/figures/cd_f1_adaboost_{m}.png" for m in ("macro_f1", "g_mean", "auc_ovr")} <= set(out.split())
