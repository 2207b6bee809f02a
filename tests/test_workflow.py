"""End to end: the results, logs and report of the shared finished tiny run (tests/conftest.py:
tiny_run, made once per session: tiny_demo with the method's four arms, tiny_folders with baseline
arms of its own, and the paths audit's x-1_). What a change reruns: tests/test_plans.py."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from conftest import BASELINE_ARMS, HOSTILE, REPO, jobs_of, run_snakemake

pytestmark = pytest.mark.e2e

ARMS = {"original", "smoteenn", "cgan", "smoteenn_cgan"}
CLASSIFIERS = {"f1_adaboost", "samme", "chance", "f1_alpha_only"}


def test_every_dataset_produces_every_table(tiny_run):
    """Every dataset of the run (tiny_demo, tiny_folders, and the paths audit's x-1_), and no demo."""
    tmp = tiny_run.path
    results = tmp / "results"
    assert sorted(p.name for p in results.iterdir() if p.is_dir()) == ["tiny_demo", "tiny_folders", HOSTILE]
    for name in ("tiny_demo", "tiny_folders", HOSTILE):
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
    assert set(summary["dataset"]) == {"tiny_demo", "tiny_folders", HOSTILE}
    assert summary.groupby("dataset")["n"].unique().map(list).to_dict() == {"tiny_demo": [2], "tiny_folders": [6],
                                                                             HOSTILE: [2]}


def test_the_method_s_four_arms(tiny_run):
    tmp = tiny_run.path
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
        assert set(counts["step"]) == {"input", "after_smote", "after_enn", "resampled", "final"}
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
    tmp = tiny_run.path
    results = tmp / "results"
    demo = pd.read_csv(results / "tiny_demo" / "statistics.tsv", sep="\t")
    pairs = list(dict.fromkeys(zip(demo["arm"], demo["baseline"])))
    assert pairs == [("smoteenn", "original"), ("cgan", "original"), ("smoteenn_cgan", "original"),
                     ("smoteenn_cgan", "cgan"), ("smoteenn_cgan", "smoteenn")]
    assert len(demo) == len(pairs) * len(CLASSIFIERS) * 3
    assert (demo["n"] == 2).all() and demo["p_holm"].isna().all()
    assert set(demo["verdict"].dropna()) <= {"too few folds to test", "identical"}
    assert demo.loc[demo["verdict"].isna(), "classifier"].eq("chance").all()  # the sanity rows only
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
    tmp = tiny_run.path
    run_snakemake(tmp, "--configfile", "tiny.yaml", "--report", str(tmp_path / "report.html"))
    page = (tmp_path / "report.html").read_text()
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

    url = (tmp_path / "report.html").as_uri()
    dom, messages = console_messages(url)
    assert not messages, messages
    import re

    visible = re.sub(r"<script\b[^>]*>.*?</script>", "", dom, flags=re.S | re.I)  # rendered, not embedded, text
    assert "Did balancing help?" in visible
    assert "Too few folds to test: n = 2 paired test folds" in visible  # tiny_demo: 1 x 2 folds
    assert "The method&#x27;s headline" in visible or "The method's headline" in visible
    assert "tiny_demo (f1_adaboost, n = 2 paired test folds, primary metric macro F1): too few folds to test anything" in visible
    assert "Table 4 of tiny_demo" in visible and "is a page of its own" in visible  # not in the narrow column
    assert 'class="admonition warning"' in visible and "data:image/png;base64," in dom  # styled; the forest plot
    metrics = pd.read_csv(tmp / "results" / "tiny_demo" / "metrics.tsv", sep="\t")
    cgan = metrics[(metrics.arm == "cgan") & (metrics.classifier == "f1_adaboost")]["macro_f1"]
    assert f"{cgan.mean():.3f} ± {cgan.std(ddof=1):.3f}" in everything  # Table 4's cell, on its own page
    shot = tmp_path / "report.png"
    subprocess.run([*args, f"--screenshot={shot}", url], capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 20_000  # a rendered page, not a blank one
    # the first screen answers: the heading and the lead's first sentence lie inside the window at
    # scroll 0 (Snakemake's home page centres its content: a long answer used to start above the top)
    for width, height in ((1280, 800), (1920, 1080)):
        top, bottom, lead_bottom, window = first_screen(chromium, page, tmp_path, width, height)
        assert 0 <= top and bottom <= lead_bottom <= window, (width, height, top, bottom, lead_bottom, window)


MEASURE = """<script>
window.addEventListener("load", () => setTimeout(() => {
  const heading = document.getElementById("did-balancing-help");
  const lead = heading && heading.querySelector("li");
  const h = heading ? heading.querySelector("h1").getBoundingClientRect() : null;
  const l = lead ? lead.getBoundingClientRect() : null;
  document.body.setAttribute("data-first-screen", h && l ? [h.top, h.bottom, l.bottom, innerHeight].join(",") : "none");
}, 3000));
</script>"""


def first_screen(chromium: str, page: str, tmp_path: Path, width: int, height: int) -> list[float]:
    """Where the answer's heading and its lead's first sentence lie in a window of this size at
    scroll 0 (top, bottom, lead bottom, window height), measured in headless Chromium by a script
    added to a copy of the report."""
    import re

    measured = tmp_path / f"measured_{width}.html"
    head, _, tail = page.rpartition("</body>")  # the last one: the page's scripts hold the text too
    measured.write_text(head + MEASURE + "</body>" + tail)
    dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=15000",
                          f"--window-size={width},{height}", "--dump-dom", measured.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    found = re.search(r'data-first-screen="([^"]+)"', dom)
    assert found and found.group(1) != "none", dom[-2000:]
    return [float(v) for v in found.group(1).split(",")]


def test_logs_and_provenance_name_no_absolute_path_but_the_configs(tiny_run):
    """Logs name files relative to the run (or the dataset folder); provenance.json holds the
    dataset's path only where the config gave it (needed to run again from it), nowhere else."""
    tmp = tiny_run.path
    logs = {p: p.read_text() for p in (tmp / "logs").rglob("*.log")}
    assert len(logs) > 20
    numpy_reprs = [str(p.relative_to(tmp)) for p, text in logs.items() if "np.str_(" in text or "np.int64(" in text]
    assert not numpy_reprs, numpy_reprs  # names as a reader writes them, not numpy's repr
    leaks = {str(p.relative_to(tmp)): line for p, text in logs.items() for line in text.splitlines()
             if str(tmp) in line or str(REPO) in line or str(Path.home()) + "/" in line}
    assert not leaks, leaks
    folders = str(tmp / "folders")
    for name in ("tiny_demo", "tiny_folders", HOSTILE):  # x-1_'s config gives its path relative: data
        record = json.loads((tmp / "results" / name / "provenance.json").read_text())
        given = record["settings"]["path"] if name == "tiny_folders" else None
        assert given in (None, folders) and record["settings"].get("path") in (None, folders, "data")

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
    tmp = tiny_run.path
    folds = pd.read_csv(tmp / "results" / "tiny_demo" / "folds.tsv", sep="\t")
    assert folds.groupby("group")["id"].transform("size").max() > 1  # babies with several images
    for _, table in folds.groupby(["repeat", "fold"]):
        assert not set(table[table.role == "train"]["group"]) & set(table[table.role == "test"]["group"])


def test_test_folds_hold_real_images_only(tiny_run):
    tmp = tiny_run.path
    predictions = pd.read_csv(tmp / "results" / "tiny_demo" / "predictions.tsv", sep="\t")
    manifest = pd.read_csv(tmp / "results" / "tiny_demo" / "manifest.tsv", sep="\t")
    assert set(predictions["id"]) <= set(manifest["id"])
    assert not predictions["id"].str.startswith("smote").any()


def test_same_config_gives_identical_metrics(tiny_run_to_change):
    tmp = tiny_run_to_change.path
    # one fold of each dataset: its GAN arms regenerated from their checkpoints, every arm's
    # classifiers refitted (a fresh run from scratch: test_provenance.py,
    # test_one_fold_reruns_from_its_provenance_alone)
    folds = ["results/tiny_demo/evaluate/r0_f0/metrics.tsv", "results/tiny_folders/evaluate/r2_f1/metrics.tsv"]
    before = {table: (tmp / table).read_bytes() for table in folds}
    # the reruns' benchmark files (each job's measured time) are new: the cost tables that read them
    # would be out of date for the tests that share this run, so they are put back as they were
    benchmarks = {p: (p.read_bytes(), p.stat()) for p in (tmp / "results").glob("*/benchmarks/**/*.tsv")}
    try:
        rerun = run_snakemake(tmp, *folds, "--cores", "2", "--configfile", "tiny.yaml",
                              "--forcerun", "augment", "evaluate_fold")
    finally:
        for path, (content, stat) in benchmarks.items():
            path.write_bytes(content)
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert jobs_of(rerun.stdout + rerun.stderr) == {"augment", "evaluate_fold"}, rerun.stderr[-2000:]
    for table, content in before.items():
        assert (tmp / table).read_bytes() == content, table


def test_a_datasets_own_baseline_arms_and_the_best_arm(tiny_run):
    """tiny_folders' own arms (no GAN): class weights, random oversampling, a SMOTEENN variant;
    balanced.arm best."""
    tmp = tiny_run.path
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
    best = pd.read_csv(root / "best_arm.tsv", sep="\t", keep_default_na=False)
    winner = best.loc[best["chosen"], "arm"].item()
    # a balancing arm, by a verdict or else the default balancing arm: never the highest mean alone
    balancing = best[best["balances"]]
    higher = balancing[balancing["verdict"] == "higher"]
    expected = (higher.loc[higher["mean_diff"].astype(float).idxmax(), "arm"] if len(higher) else
                next((a for a in ("cgan", "smoteenn") if a in set(balancing["arm"])), balancing["arm"].iloc[0]))
    assert winner == expected and winner != "original" and best.loc[best["chosen"], "why"].item().startswith("best: ")
    assert set(best["arm"]) == set(wide.columns)
    classes = pd.read_csv(root / "balanced" / "classes.tsv", sep="\t", keep_default_na=False)
    assert set(classes["arm"]) == {winner} and classes["real_available"].tolist() == [20, 10, 6]
    manifest = pd.read_csv(root / "balanced" / "manifest.tsv", sep="\t")
    assert (manifest.groupby("label").size() == classes.set_index("label")["total"]).all()
    assert "best arm for the balanced set" in (tmp / "logs" / "tiny_folders" / "best_arm.log").read_text()


def test_the_run_said_its_cost_first_and_measured_it_after(tiny_run):
    """Before any job: per dataset its GANs and fits, with this machine's step time, measured once
    into .snakemake/ (issue P); after: results/<dataset>/cost.tsv, per stage, measured beside estimated."""
    log = tiny_run.log
    said = log.split("Cost of this run (", 1)[1]
    assert log.index("Cost of this run (") < log.index("rule ingest:")  # before the first job
    lines = {line.split(":")[0].strip(): line for line in said.splitlines()[1:5]}
    assert lines["tiny_demo"].startswith("  tiny_demo: 5 GANs to train (16 px, 20 steps at batch 16: ")
    assert lines["tiny_folders"].startswith("  tiny_folders: no GAN to train, ")
    assert json.loads((tiny_run.path / ".snakemake" / "infantfer" / "gan_step_times.json").read_text())
    table = pd.read_csv(tiny_run.path / "results" / "tiny_demo" / "cost.tsv", sep="\t").set_index("stage")
    assert set(table.index) == {"ingest", "faces", "resample", "cgan_train", "gate", "quality", "evaluate_fold"}
    assert table.loc["cgan_train", "jobs"] == 4 and table.loc["evaluate_fold", "jobs"] == 2  # fold jobs: 2 x (2 GANs)
    assert (table["measured_s"] > 0).all() and (table["estimated_s"] > 0).all() and (table["peak_rss_mb"] > 0).all()
    # the ratio is of the unrounded seconds: within rounding of the columns' ratio
    ratio = table["measured_s"] / table["estimated_s"]
    assert ((table["measured_over_estimated"] - ratio).abs() <= 0.15 * ratio).all()
    folders = pd.read_csv(tiny_run.path / "results" / "tiny_folders" / "cost.tsv", sep="\t")
    assert "cgan_train" not in set(folders["stage"])
