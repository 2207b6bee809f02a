"""Across datasets, end to end (issue M): three tiny datasets without a GAN arm, run whole. The
ranks, Friedman with Iman and Davenport's F, each arm against the reference by Wilcoxon over the
datasets (3 datasets: no p-value can be below 0.25, so ranks and signs only), the diagrams, and the
answer saying so."""
from __future__ import annotations

import pandas as pd
import pytest
import yaml

from conftest import run_snakemake, workdir_with_defaults

pytestmark = pytest.mark.e2e


def test_three_datasets_without_a_gan(tmp_path):
    run = workdir_with_defaults(tmp_path / "run")
    datasets = {f"d{i}": {"layout": "demo", "counts": {"cry": 24, "laugh": 14, "neutral": 12}, "size": 24, "seed": i,
                          "faces": {"detector": "none"}} for i in range(3)}
    config = {"datasets": datasets, "faces": {"size": 16}, "split": {"folds": 3, "repeats": 2},
              "arms": {"original": {}, "random_over": {"resampler": "random_over"}, "smote": {"resampler": "smote"}},
              "evaluate": {"n_estimators": 5, "classifiers": ["f1_adaboost", "chance"]}, "balanced": {"arm": "smote"}}
    (run / "three.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    run_snakemake(run, "--cores", "2", "--configfile", "three.yaml")
    across = pd.read_csv(run / "results" / "statistics_across_datasets.tsv", sep="\t")
    f1 = across[(across.classifier == "f1_adaboost") & (across.metric == "macro_f1")].set_index("arm")
    assert (f1["n_datasets"] == 3).all() and f1["iman_davenport_f"].notna().all()
    assert f1.loc[["random_over", "smote"], "min_attainable_p"].tolist() == [0.25, 0.25]
    assert set(f1.loc[["random_over", "smote"], "verdict"]) == {"ranks and signs only"}
    assert (f1.loc[["random_over", "smote"], ["n_higher", "n_lower"]].sum(axis=1) <= 3).all()
    assert f1["bayes_p_higher"].isna().all()  # from 5 datasets
    for metric in ("macro_f1", "g_mean", "auc_ovr"):
        assert (run / "results" / "figures" / f"cd_f1_adaboost_{metric}.png").stat().st_size > 10_000
    summary = (run / "results" / "summary.md").read_text()
    answer = (run / "results" / "answer.rst").read_text()
    assert "Iman-Davenport F" in answer and "no Wilcoxon p-value can be below 0.25: ranks and signs only" in answer
    assert "## Across datasets" in summary and "ranks and signs only" in summary.split("## Across datasets")[1]
