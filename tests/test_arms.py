"""Arms: bases, training-set assembly, class counts, the best arm and the balanced set's report."""
import numpy as np
import pandas as pd
import pytest

from infantfer.arms import (
    Arm, arms_of, base_name, class_counts, count_columns, gan_bases, gate_tables_by_arm, resampled_bases, training_set,
)
from infantfer.balanced import balanced_classes, best_arm
from infantfer.config import resolve_config
from infantfer.io.npz import TrainingSet
from infantfer.resample import resample_fold

CLASSES = ["cry", "laugh", "neutral"]


def labelled(counts: dict, source="real", prefix="r") -> TrainingSet:
    y = np.concatenate([[c] * n for c, n in counts.items()]).astype(str)
    return TrainingSet(np.zeros((len(y), 4, 4), np.uint8), y, np.array([f"{prefix}{i}" for i in range(len(y))]),
                       np.full(len(y), source))


def concat(*sets: TrainingSet) -> TrainingSet:
    return TrainingSet(*(np.concatenate([getattr(s, f) for s in sets]) for f in ("x", "y", "id", "source")))


def default_arms(**override):
    config = resolve_config({"datasets": {"d": {"layout": "demo"}}, **override})
    return arms_of(config["datasets"]["d"])


def test_base_names():
    defaults = {"k_neighbors": 5, "kind_sel": "all"}
    assert base_name("none", {}, {}) == "original"
    assert base_name("smoteenn", dict(defaults), defaults) == "smoteenn"
    assert base_name("smoteenn", {**defaults, "kind_sel": "mode"}, defaults) == "smoteenn_kind_sel-mode"
    assert base_name("smoteenn", {**defaults, "kind_sel": "not minority"}, defaults) == "smoteenn_kind_sel-not-minority"
    long = base_name("smote", {"k_neighbors": 3, "space": "pca", "pca_components": 20, "seed": 4}, {})
    assert long.startswith("smote_") and len(long) == len("smote_") + 10  # hashed when long


def test_bases_shared_by_arms():
    arms = default_arms(arms={"original": {}, "cgan": {"gan": True}, "cgan_w": {"gan": True, "class_weight": "balanced"},
                              "smote": {"resampler": "smote"}, "smote_cgan": {"resampler": "smote", "gan": True}})
    assert gan_bases(arms) == ["original", "smote"]  # one GAN per fold and base, however many arms use it
    assert list(resampled_bases(arms)) == ["smote"]
    assert count_columns(arms) == ["smote", "cgan"]
    assert count_columns(default_arms(arms={"original": {}, "w": {"class_weight": "balanced"}})) == []


def test_training_sets_and_class_counts_of_the_default_arms():
    arms = default_arms()
    rng = np.random.default_rng(0)
    counts = {"cry": 30, "laugh": 12, "neutral": 5}
    y = np.concatenate([[c] * n for c, n in counts.items()])
    centres = {"cry": 60, "laugh": 130, "neutral": 200}
    x = np.stack([np.clip(rng.normal(centres[c], 25, (4, 4)), 0, 255) for c in y]).astype(np.uint8)
    real = TrainingSet(x, y, np.array([f"i{k}" for k in range(len(y))]), np.full(len(y), "real"))
    smoteenn = resample_fold(x, y, real.id, random_state=0)
    topped = {"original": concat(real, labelled({"laugh": 18, "neutral": 25}, "cgan", "g")),
              "smoteenn": concat(smoteenn, labelled({"neutral": 2}, "cgan", "h"))}
    sets = {name: training_set(arm, real, {"smoteenn": smoteenn}, topped) for name, arm in arms.items()}
    assert sets["original"] is real and sets["smoteenn"] is smoteenn and sets["cgan"] is topped["original"]
    table = class_counts(arms, sets, {"smoteenn": smoteenn.steps}, {"smoteenn": smoteenn}, CLASSES, "d", 0, 1, real.y)
    assert list(table.columns) == ["dataset", "repeat", "fold", "arm", "step", "label", "real", "smote", "cgan", "total",
                                   "real_removed"]
    assert (table.loc[table.arm.isin(["original", "cgan"]), "real_removed"] == 0).all()
    enn = table[(table.arm == "smoteenn") & (table.step == "final")]
    assert (enn["real_removed"] == [30, 12, 5] - enn["real"]).all()
    steps = table.groupby("arm", sort=False)["step"].unique().map(list).to_dict()
    assert steps == {"original": ["final"], "smoteenn": ["input", "after_smote", "after_enn", "final"],
                     "cgan": ["final"], "smoteenn_cgan": ["input", "after_smote", "after_enn", "resampled", "final"]}
    final = table[table.step == "final"].set_index(["arm", "label"])
    assert final.loc["original", "real"].tolist() == [30, 12, 5]
    assert final.loc["cgan", "cgan"].tolist() == [0, 18, 25] and final.loc["cgan", "total"].tolist() == [30, 30, 30]
    assert final.loc["smoteenn_cgan", "cgan"].tolist() == [0, 0, 2]
    assert (table["total"] == table[["real", "smote", "cgan"]].sum(axis=1)).all()
    after_smote = table[(table.arm == "smoteenn") & (table.step == "after_smote")]
    assert after_smote["total"].tolist() == [30, 30, 30] and after_smote["real"].tolist() == [30, 12, 5]


def test_gate_tables_by_arm_repeat_shared_bases():
    arms = {"a": Arm("a", gan=True), "plain": Arm("plain"), "b": Arm("b", gan=True, class_weight="balanced"),
            "c": Arm("c", resampler="smote", gan=True, base="smote")}
    table = lambda base, fold: pd.DataFrame({"dataset": ["d"], "repeat": [0], "fold": [fold], "class": [base]})
    out = gate_tables_by_arm(arms, {"original": [table("original", 0), table("original", 1)], "smote": [table("smote", 0)]})
    assert out["arm"].tolist() == ["a", "a", "b", "b", "c"] and list(out.columns)[:2] == ["dataset", "arm"]
    assert out["class"].tolist() == ["original"] * 4 + ["smote"]


def _final_counts(balance: dict[str, tuple[int, int]]) -> pd.DataFrame:
    """Table 2's final step: arm -> (largest, smallest) class in each of 3 folds."""
    return pd.DataFrame([{"arm": arm, "repeat": 0, "fold": f, "step": "final", "label": lab, "total": n}
                         for arm, (big, small) in balance.items() for f in range(3)
                         for lab, n in (("cry", big), ("laugh", small))])


def _verdicts(verdicts: dict[str, tuple[str, float]], reference="original") -> pd.DataFrame:
    return pd.DataFrame([{"classifier": "f1_adaboost", "metric": "macro_f1", "arm": arm, "baseline": reference,
                          "verdict": v, "mean_diff": d} for arm, (v, d) in verdicts.items()])


def test_best_is_a_balancing_arm_the_statistics_call_higher_never_a_mean_alone():
    """The balanced set balances: original (unbalanced) never wins, a higher mean alone never wins;
    without a verdict the default balancing arm does, and where nothing balances the most balanced."""
    counts = _final_counts({"original": (100, 20), "smote": (100, 100), "random_over": (100, 100),
                            "weighted": (100, 20)})
    arms = ["original", "smote", "random_over", "weighted"]
    stats = _verdicts({"smote": ("inconclusive", 0.001), "random_over": ("higher", 0.05), "weighted": ("higher", 0.09)})
    arm, table = best_arm(stats, counts, arms, "macro_f1", "original", 0.8)
    assert arm == "random_over"  # weighted is higher by more, but does not balance
    assert table.set_index("arm")["balances"].to_dict() == {"original": False, "smote": True, "random_over": True,
                                                            "weighted": False}
    assert "the one most higher than original on macro F1 (+5.0 points)" in table.loc[table.chosen, "why"].iloc[0]
    no_verdict = _verdicts({"smote": ("inconclusive", 0.001), "random_over": ("higher, within the rope", 0.01)})
    arm, table = best_arm(no_verdict, counts, arms, "macro_f1", "original", 0.8)
    assert arm == "smote" and "the default balancing arm" in table.loc[table.chosen, "why"].iloc[0]
    with_smoteenn = _final_counts({"original": (100, 20), "random_over": (100, 100), "smoteenn": (90, 85)})
    arm, _ = best_arm(no_verdict, with_smoteenn, ["original", "random_over", "smoteenn"], "macro_f1", "original", 0.8)
    assert arm == "smoteenn"  # the default balancing arm (cgan, else smoteenn), though random_over comes first
    arm, table = best_arm(no_verdict, _final_counts({"original": (100, 20), "weighted": (100, 50)}),
                          ["original", "weighted"], "macro_f1", "original", 0.8)
    assert arm == "weighted" and "no arm balances" in table.loc[table.chosen, "why"].iloc[0]


def test_balanced_classes_report_targets_sources_and_warnings():
    # ENN kept 8 of 20 cry images; the gate gave laugh no GAN images
    base = concat(labelled({"cry": 8}), labelled({"laugh": 10, "neutral": 12}, prefix="q"), labelled({"laugh": 2}, "smote", "s"))
    ts = concat(base, labelled({"cry": 4}, "cgan", "g"))
    real_y = np.array(["cry"] * 20 + ["laugh"] * 10 + ["neutral"] * 12)
    report = balanced_classes(ts, base.y, real_y, CLASSES, target_ratio=1.0).set_index("label")
    assert report["target"].tolist() == [12, 12, 12]
    assert report.loc["cry", ["real_available", "real_kept", "real_dropped", "cgan", "total"]].tolist() == [20, 8, 12, 4, 12]
    assert report.loc["cry", "real_removed_share"] == 0.6
    assert report.loc["cry", "warning"] == "only 8 of the 20 real images kept"
    assert report.loc["laugh", "smote"] == 2 and report.loc["laugh", "warning"] == ""
    report = balanced_classes(ts, base.y, real_y, CLASSES, target_ratio=2.0).set_index("label")
    assert report.loc["neutral", "warning"] == "12 images, below 90% of the target 24"
