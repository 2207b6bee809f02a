"""Figures: each writes one decodable PNG of a sensible size and draws the numbers of its table."""
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from infantfer.figures import (cd_diagram, class_counts_figure, class_order, confusion_figure, js_figure,
                               metric_folds_figure, per_class_f1_figure, sample_faces_figure)

CLASSES = ["cry", "laugh", "neutral"]  # the demo's: cry largest, neutral smallest


def png_size(path, low=(200, 100), high=(3000, 3000)):
    with Image.open(path) as im:
        im.load()
        w, h = im.size
    assert low[0] <= w <= high[0] and low[1] <= h <= high[1], (w, h)
    return w, h


def counts_table():
    """Two folds; smoteenn shrinks cry (ENN) and adds smote; cgan tops up; fold 1 has no 'laugh' rows."""
    rows = []
    real = {0: {"cry": 120, "laugh": 48, "neutral": 16}, 1: {"cry": 118, "laugh": 50, "neutral": 18}}
    for fold in (0, 1):
        for label in CLASSES:
            n = real[fold][label]
            if fold == 1 and label == "laugh":
                continue  # a class absent from a fold's rows counts 0 there
            rows.append(dict(arm="original", step="final", label=label, real=n, smote=0, cgan=0, fold=fold))
            rows.append(dict(arm="smoteenn", step="input", label=label, real=n, smote=0, cgan=0, fold=fold))
            kept = n // 2 if label == "cry" else n
            rows.append(dict(arm="smoteenn", step="final", label=label, real=kept, smote=max(0, 60 - kept),
                             cgan=0, fold=fold))
            rows.append(dict(arm="cgan", step="final", label=label, real=n, smote=0, cgan=120 - n, fold=fold))
    t = pd.DataFrame(rows)
    t.insert(0, "dataset", "demo")
    t.insert(1, "repeat", 0)
    t["total"] = t[["real", "smote", "cgan"]].sum(axis=1)
    avail = {(f, c): real[f][c] for f in real for c in real[f]}
    t["real_removed"] = [avail[(f, c)] - r for f, c, r in zip(t["fold"], t["label"], t["real"])]
    return t




def test_class_order_is_minority_first():
    # laugh has rows in one of two folds only: 48 / 2 = 24 a fold, more than neutral's 17
    assert class_order(counts_table()) == ["neutral", "laugh", "cry"]


def test_class_counts_figure_stacks_the_mean_counts(tmp_path):
    table = counts_table()
    drawn = class_counts_figure(table, tmp_path / "counts.png")
    assert drawn.path == tmp_path / "counts.png" and drawn.placeholder is None
    png_size(drawn)  # a Drawn is a path
    data = drawn.data.set_index(["arm", "label"])
    final = table[table["step"] == "final"]
    for (arm, label), row in data.iterrows():
        mine = final[(final["arm"] == arm) & (final["label"] == label)]
        for source in ("real", "smote", "cgan"):
            assert row[source] == pytest.approx(mine[source].sum() / 2)  # 2 folds; a missing row is 0
        assert row["total"] == pytest.approx(mine["total"].sum() / 2)
        assert row["input"] == pytest.approx((mine["real"] + mine["real_removed"]).sum() / 2)
    # ENN's loss shows: smoteenn's final real cry is half its input
    assert data.loc[("smoteenn", "cry"), "real"] == pytest.approx(data.loc[("smoteenn", "cry"), "input"] / 2, abs=0.5)
    assert list(drawn.data["arm"].unique()) == ["original", "smoteenn", "cgan"]
    assert list(drawn.data["label"].unique()) == ["neutral", "laugh", "cry"]
    assert (drawn.data["n_folds"] == 2).all()


def test_class_counts_figure_one_fold_other_sources(tmp_path):
    t = counts_table()
    t = t[(t["fold"] == 0) & (t["arm"] != "smoteenn")].rename(columns={"smote": "adasyn"})
    t["random_over"] = 1
    drawn = class_counts_figure(t, tmp_path / "one.png")
    png_size(drawn)
    assert {"real", "adasyn", "random_over", "cgan"} <= set(drawn.data.columns)
    row = drawn.data.set_index(["arm", "label"]).loc[("cgan", "neutral")]
    assert row["total"] == pytest.approx(16 + 104 + 1)


def faces(n, level, size=16, seed=0):
    rng = np.random.default_rng(seed)
    return np.clip(rng.normal(level, 30, (n, size, size)), 0, 255).astype(np.uint8)


def gan_set(counts_real, counts_gan, counts_smote=None):
    """x, y, source of a training set: real, optional smote and cgan rows per class."""
    xs, ys, ss = [], [], []
    for source, counts in (("real", counts_real), ("smote", counts_smote or {}), ("cgan", counts_gan)):
        for i, (c, n) in enumerate(counts.items()):
            xs.append(faces(n, 60 + 60 * i, seed=n))
            ys += [c] * n
            ss += [source] * n
    return np.concatenate(xs), np.array(ys), np.array(ss)


def test_sample_faces_hide_real_and_smote_by_default(tmp_path):
    real = {"cry": 40, "laugh": 20, "neutral": 6}
    sets = {"cgan": gan_set(real, {"cry": 0, "laugh": 20, "neutral": 34}),
            # ENN left 15 cry; laugh and neutral topped up to 41
            "smoteenn_cgan": gan_set({"cry": 15, "laugh": 20, "neutral": 6}, {"cry": 0, "laugh": 16, "neutral": 30},
                                     {"laugh": 5, "neutral": 5}),
            "smoteenn: smote": gan_set({}, {}, {"laugh": 5, "neutral": 10})}
    drawn = sample_faces_figure(sets, tmp_path / "faces.png", show_real=False, real=(faces(66, 100), np.repeat(
        list(real), list(real.values()))))
    png_size(drawn)
    rows = drawn.data
    assert set(rows["source"]) == {"cgan"}  # no real and no SMOTE row
    assert set(rows["set"]) == {"cgan", "smoteenn_cgan"}
    # no generated cry: a row says why in each GAN set, none silently missing. In "cgan" cry (40) is as
    # large as the topped-up classes: none needed; in "smoteenn_cgan" (15 < 41) it was not accepted
    cry = rows[rows["class"] == "cry"].set_index("set")
    assert len(cry) == 2 and (cry["drawn"] == 0).all()
    assert cry.loc["cgan", "note"] == "none needed"
    assert cry.loc["smoteenn_cgan", "note"] == "no accepted images"
    told = sample_faces_figure(sets, tmp_path / "told.png", per_row=2,
                               accepted={"cgan": ["laugh"], "smoteenn_cgan": ["cry"]})
    notes = told.data[told.data["drawn"] == 0].set_index("set")["note"]
    assert notes.to_dict() == {"cgan": "no accepted images", "smoteenn_cgan": "none needed"}
    assert rows.loc[rows["class"] == "neutral", "drawn"].tolist() == [8, 8]
    assert list(rows["class"].unique()) == ["neutral", "laugh", "cry"]  # fewest real first


def test_sample_faces_with_real_and_smote(tmp_path):
    real = {"cry": 40, "laugh": 20, "neutral": 6}
    sets = {"smoteenn_cgan": gan_set(real, {"cry": 3, "laugh": 10, "neutral": 20}, {"laugh": 5, "neutral": 10})}
    x, y, s = gan_set(real, {})
    drawn = sample_faces_figure(sets, tmp_path / "faces.png", show_real=True, per_row=4, real=(x, y, s))
    png_size(drawn)
    rows = drawn.data.set_index(["class", "source"])
    assert rows.loc[("neutral", "real"), "drawn"] == 4 and rows.loc[("neutral", "smote"), "drawn"] == 4
    assert rows.loc[("cry", "cgan"), "drawn"] == 3 and rows.loc[("cry", "cgan"), "available"] == 3
    assert ("cry", "smote") not in rows.index
    # same inputs and seed, same picture
    again = sample_faces_figure(sets, tmp_path / "again.png", show_real=True, per_row=4, real=(x, y, s))
    assert (tmp_path / "faces.png").read_bytes() == (tmp_path / "again.png").read_bytes()
    assert again.data.equals(drawn.data)


def test_no_gan_arm_gives_placeholders(tmp_path):
    faces_png = sample_faces_figure({}, tmp_path / "faces.png", show_real=False)
    gate_png = js_figure(pd.DataFrame(), tmp_path / "js.png")
    for drawn in (faces_png, gate_png):
        assert drawn.placeholder == "no GAN arm configured"
        png_size(drawn, low=(300, 100), high=(800, 300))


def gate_table():
    """Two arms (cgan, smoteenn_cgan), two folds, 4 checkpoints, 3 classes; neutral never passes."""
    rows = []
    for fold in (0, 1):
        for arm in ("cgan", "smoteenn_cgan"):
            for k, step in enumerate((250, 500, 750, 1000)):
                for c, n_real in (("cry", 120), ("laugh", 48), ("neutral", 16)):
                    js_pca = 0.4 - 0.08 * k + (0.01 if arm == "cgan" else 0.0) + 0.02 * fold
                    rows.append(dict(dataset="demo", arm=arm, repeat=0, fold=fold, checkpoint=step, **{"class": c},
                                     n_real=n_real, n_generated=n_real, js_pca=js_pca, js_pixels=0.01,
                                     js_real_baseline=0.12, js_judged=n_real >= 16, label_agreement=0.5 + 0.1 * k,
                                     real_recall=0.8, passed=(c != "neutral") and k >= 2, chosen=False))
    t = pd.DataFrame(rows)
    passed = t[t["passed"]]
    best = passed.loc[passed.groupby(["arm", "fold", "class"])["js_pca"].idxmin()].index
    t.loc[best, "chosen"] = True
    return t


def test_js_figure_marks_the_chosen_checkpoints(tmp_path):
    table = gate_table()
    drawn = js_figure(table, tmp_path / "js.png", js_margin=0.05, fidelity_margin=0.15)
    png_size(drawn)
    assert drawn.extra["part"] == "r0_f0"
    expected = table[(table["fold"] == 0) & table["chosen"]][["arm", "class", "checkpoint"]]
    marked = drawn.extra["chosen"][["arm", "class", "checkpoint"]]
    key = ["arm", "class"]
    assert marked.sort_values(key).reset_index(drop=True).equals(expected.sort_values(key).reset_index(drop=True))
    assert set(marked["checkpoint"]) == {1000} and "neutral" not in set(marked["class"])
    assert len(drawn.data) == 2 * 4 * 3  # the part's rows only


def test_js_figure_reads_text_tables_other_part_and_shared_base(tmp_path):
    table = gate_table().astype(str)  # as a TSV read as text would be
    table = table[(table["arm"] == "cgan") & (table["class"] == "cry")]
    shared = table.copy()
    shared["arm"] = "cgan_weighted"  # a second arm on the same base: the same rows
    drawn = js_figure(pd.concat([table, shared]), tmp_path / "js.png", part="r0_f1")
    png_size(drawn)
    assert drawn.extra["part"] == "r0_f1"
    assert set(drawn.extra["chosen"]["arm"]) == {"cgan = cgan_weighted"}
    with pytest.raises(ValueError, match="r9_f9"):
        js_figure(table, tmp_path / "x.png", part="r9_f9")


def metrics_table():
    rng = np.random.default_rng(0)
    rows = []
    for clf in ("f1_adaboost", "samme", "chance"):
        for fold in range(3):
            for a, arm in enumerate(("original", "smoteenn", "cgan", "smoteenn_cgan")):
                base = 0.33 if clf == "chance" else 0.6 + 0.05 * a
                rows.append(dict(dataset="demo", arm=arm, classifier=clf, repeat=0, fold=fold,
                                 macro_f1=base + rng.normal(0, 0.02), g_mean=base - 0.1, auc_ovr=base + 0.2))
    t = pd.DataFrame(rows)
    t.loc[(t["fold"] == 2) & (t["arm"] == "cgan"), ["macro_f1", "g_mean", "auc_ovr"]] = np.nan
    return t


def test_metric_folds_figure_means_and_nan_folds(tmp_path):
    t = metrics_table()
    drawn = metric_folds_figure(t, tmp_path / "metrics.png")
    png_size(drawn)
    data = drawn.data.set_index(["metric", "classifier", "arm"])
    assert set(drawn.data["classifier"]) == {"f1_adaboost", "samme"}  # chance is a line, not a panel
    expected = t[(t["classifier"] == "samme") & (t["arm"] == "smoteenn")]["g_mean"].mean()
    assert data.loc[("g_mean", "samme", "smoteenn"), "mean"] == pytest.approx(expected)
    assert data.loc[("macro_f1", "f1_adaboost", "cgan"), "n"] == 2
    assert data.loc[("macro_f1", "f1_adaboost", "cgan"), "n_nan"] == 1
    one = metric_folds_figure(t[(t["fold"] == 0) & (t["classifier"] != "samme")], tmp_path / "one.png")
    assert (one.data["n"] == 1).all() and set(one.data["classifier"]) == {"f1_adaboost"}


def confusion_table():
    rows = []
    for fold in (0, 1):
        for arm in ("original", "smoteenn_cgan"):
            for t, q, n in (("cry", "cry", 25), ("cry", "laugh", 5), ("laugh", "laugh", 8), ("laugh", "cry", 4),
                            ("neutral", "neutral", 2), ("neutral", "cry", 2), ("neutral", "laugh", 0)):
                rows.append(dict(dataset="demo", repeat=0, fold=fold, arm=arm, classifier="f1_adaboost",
                                 true=t, pred=q, count=n))
    return pd.DataFrame(rows)


def test_confusion_figure_sums_folds_and_normalises_rows(tmp_path):
    drawn = confusion_figure(confusion_table(), tmp_path / "cm.png")
    png_size(drawn)
    d = drawn.data.set_index(["arm", "true", "pred"])
    assert d.loc[("original", "cry", "laugh"), "count"] == 10
    assert d.loc[("original", "cry", "laugh"), "share"] == pytest.approx(10 / 60)
    assert d.loc[("original", "neutral", "neutral"), "share"] == pytest.approx(0.5)
    assert list(drawn.data["true"].unique()) == ["neutral", "laugh", "cry"]
    assert confusion_figure(confusion_table(), tmp_path / "none.png", classifier="samme").placeholder


def test_per_class_f1_figure_means(tmp_path):
    rows = []
    for fold in (0, 1, 2):
        for arm in ("original", "smoteenn", "class_weight"):
            for c, support, f1 in (("cry", 30, 0.8), ("laugh", 12, 0.5), ("neutral", 4, 0.1 * fold)):
                rows.append(dict(dataset="demo", repeat=0, fold=fold, arm=arm, classifier="f1_adaboost",
                                 **{"class": c}, precision=f1, recall=f1, f1=f1, support=support))
    t = pd.DataFrame(rows)
    t.loc[(t["fold"] == 2) & (t["arm"] == "smoteenn") & (t["class"] == "neutral"), "f1"] = np.nan
    drawn = per_class_f1_figure(t, tmp_path / "f1.png")
    png_size(drawn)
    assert list(drawn.data.columns) == ["neutral", "laugh", "cry"]
    assert list(drawn.data.index) == ["original", "smoteenn", "class_weight"]
    assert drawn.data.loc["original", "neutral"] == pytest.approx(0.1)
    assert drawn.data.loc["smoteenn", "neutral"] == pytest.approx(0.05)
    assert drawn.extra["n"].loc["smoteenn", "neutral"] == 2
    ordered = per_class_f1_figure(t, tmp_path / "f1b.png", class_order=["cry", "laugh", "neutral"])
    assert list(ordered.data.columns) == ["cry", "laugh", "neutral"]


def test_cd_diagram(tmp_path):
    arms = ["original", "smoteenn", "cgan", "smoteenn_cgan"]
    ranks = pd.Series([3.6, 2.1, 2.9, 1.4], index=arms)
    p = pd.DataFrame(0.9, index=arms, columns=arms)
    p.loc["original", "smoteenn_cgan"] = p.loc["smoteenn_cgan", "original"] = 0.01
    p.loc["cgan", "smoteenn"] = np.nan  # missing: not significant
    drawn = cd_diagram(ranks, p, tmp_path / "cd.png", title="macro F1, f1_adaboost")
    png_size(drawn)
    assert drawn.data["arm"].tolist() == ["smoteenn_cgan", "smoteenn", "cgan", "original"]
    assert cd_diagram(ranks[:1], p, tmp_path / "one.png").placeholder


def test_tables_and_sets_as_paths(tmp_path):
    """A Snakemake script may hand over the files: TSVs read with names kept as text, npz sets."""
    from infantfer.io.npz import write_npz
    from infantfer.io.tsv import write_tsv

    rows = [dict(dataset="d", repeat=0, fold=f, arm="original", classifier="f1_adaboost", **{"class": c},
                 precision=0.5, recall=0.5, f1=v, support=n)
            for f in (0, 1) for c, n, v in (("NA", 5, 0.2), ("01", 9, 0.6))]  # names pandas would change
    write_tsv(pd.DataFrame(rows), tmp_path / "per_class_f1.tsv")
    drawn = per_class_f1_figure(tmp_path / "per_class_f1.tsv", tmp_path / "f1.png")
    assert list(drawn.data.columns) == ["NA", "01"] and drawn.data.loc["original", "NA"] == pytest.approx(0.2)
    x, y, source = gan_set({"cry": 10, "laugh": 5}, {"laugh": 5})
    write_npz(tmp_path / "train.npz", {"x": x, "y": y, "id": np.arange(len(y)).astype(str), "source": source})
    faces_png = sample_faces_figure({"cgan": tmp_path / "train.npz"}, tmp_path / "faces.png", per_row=4)
    assert faces_png.data.set_index("class").loc["laugh", "drawn"] == 4


def test_figures_module_imports_no_torch_or_cv2():
    import subprocess
    import sys

    code = ("import sys, infantfer.figures; "
            "print(sorted(m for m in ('torch', 'cv2', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def forest_stats(repeats: int, folds: int):
    """statistics.tsv of four arms against original (equivalent, inconclusive, higher, lower at n = 15)."""
    from infantfer.statistics import compare_arms, comparison_pairs

    rng = np.random.default_rng(3)
    n = repeats * folds
    base = rng.normal(0.7, 0.03, n)
    arms = {"original": base, "smote": base + rng.normal(0, 0.003, n), "random_over": base + rng.normal(0, 0.06, n),
            "class_weight": base + 0.08 + rng.normal(0, 0.01, n), "adasyn": base - 0.08 + rng.normal(0, 0.01, n)}
    rows = [dict(dataset="d", arm=a, classifier=c, repeat=i // folds, fold=i % folds, macro_f1=v[i], g_mean=v[i],
                 auc_ovr=v[i]) for a, v in arms.items() for i in range(n) for c in ("f1_adaboost", "chance")]
    return compare_arms(pd.DataFrame(rows), comparison_pairs(list(arms)), folds=folds)


@pytest.mark.parametrize("repeats, folds", [(1, 3), (1, 5), (3, 5)])
def test_forest_figure_draws_each_comparison_with_its_interval_and_verdict(tmp_path, repeats, folds):
    from infantfer.figures import VERDICT_COLOURS, forest_figure

    stats = forest_stats(repeats, folds)
    drawn = forest_figure(stats, tmp_path / "forest.png", reference="original")
    png_size(drawn)
    data = drawn.data
    assert len(data) == 4 * 3 and set(data["metric"]) == {"macro_f1", "g_mean", "auc_ovr"}  # f1_adaboost only
    mine = stats[stats.classifier == "f1_adaboost"].set_index(["metric", "arm"])
    for _, r in data.iterrows():
        s = mine.loc[(r.metric, r.arm)]
        assert r.mean_points == pytest.approx(100 * s.mean_diff) and r.verdict == s.verdict
        assert r.colour == VERDICT_COLOURS[s.verdict] and r.rope_points == 3
        assert (np.isnan(r.ci_low_points) and np.isnan(s.ci_low)) or r.ci_low_points == pytest.approx(100 * s.ci_low)
    if repeats * folds == 15:
        verdicts = data[data.metric == "macro_f1"].set_index("arm")["verdict"].to_dict()
        assert verdicts == {"smote": "equivalent", "random_over": "inconclusive", "class_weight": "higher",
                            "adasyn": "lower"}
    if repeats * folds == 3:
        assert set(data["verdict"]) == {"too few folds to test"} and data["ci_low_points"].isna().all()


def test_forest_figure_reads_the_tsv_and_puts_the_method_pairs_last(tmp_path):
    from infantfer.figures import forest_figure
    from infantfer.io.tsv import write_tsv
    from infantfer.statistics import compare_arms, comparison_pairs

    rng = np.random.default_rng(1)
    arms = ["original", "smoteenn", "cgan", "smoteenn_cgan"]
    rows = [dict(dataset="d", arm=a, classifier="samme", repeat=i // 5, fold=i % 5, macro_f1=v, g_mean=v, auc_ovr=v)
            for a in arms for i, v in enumerate(rng.normal(0.6, 0.05, 15))]
    write_tsv(compare_arms(pd.DataFrame(rows), comparison_pairs(arms), folds=5), tmp_path / "statistics.tsv",
              float_format="%.6g")
    drawn = forest_figure(tmp_path / "statistics.tsv", tmp_path / "forest.png", reference="original")
    order = drawn.data[drawn.data.metric == "macro_f1"].sort_values("y")[["arm", "baseline"]]
    assert [tuple(x) for x in order.to_numpy()] == [("smoteenn", "original"), ("cgan", "original"),
                                                   ("smoteenn_cgan", "original"), ("smoteenn_cgan", "cgan"),
                                                   ("smoteenn_cgan", "smoteenn")]


def test_metric_folds_figure_draws_the_paired_differences_from_the_reference(tmp_path):
    t = metrics_table()
    drawn = metric_folds_figure(t, tmp_path / "metrics.png", reference="original")
    d = drawn.data.set_index(["metric", "classifier", "arm"])
    wide = t[t.classifier == "f1_adaboost"].pivot(index="fold", columns="arm", values="macro_f1")
    assert d.loc[("macro_f1", "f1_adaboost", "smoteenn"), "mean_diff_points"] == pytest.approx(
        100 * (wide["smoteenn"] - wide["original"]).mean())
    assert d.loc[("macro_f1", "f1_adaboost", "cgan"), "n_pairs"] == 2  # the NaN fold drops its pair
    assert np.isnan(d.loc[("macro_f1", "f1_adaboost", "original"), "mean_diff_points"])
