"""What a result was computed with: provenance.json gives back its settings, names the CPU and its
kernels, and reruns a fold byte for byte. (Which code a result depends on: test_code_digests.py.)"""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("dataset", [
    {"layout": "demo", "counts": {"cry": 20, "laugh": 10}, "faces": {"detector": "none"}},
    {"layout": "demo", "arms": {"original": {}, "smote_cgan": {"resampler": "smote", "gan": True}},
     "cgan": {"steps": 30, "size": 0}, "split": {"folds": 3}},
])
def test_a_provenance_record_gives_back_the_settings_it_was_made_with(dataset):
    import json

    from infantfer.config import resolve_config
    from infantfer.provenance import config_from, seeds

    resolved = resolve_config({"datasets": {"d": dataset}})["datasets"]["d"]
    record = json.loads(json.dumps({"dataset": "d", "settings": resolved, "seeds": seeds(resolved)}))
    again = resolve_config(config_from(record))["datasets"]["d"]
    assert json.dumps(again, sort_keys=True) == json.dumps(resolved, sort_keys=True)
    assert {"split", "smoteenn", "cgan", "gate", "evaluate"} <= set(record["seeds"])


@pytest.mark.e2e
def test_one_fold_reruns_from_its_provenance_alone(shared_tiny_run, tmp_path):
    """provenance.json holds every resolved setting and seed: its config (infantfer.provenance.
    config_from), in a fresh folder, gives the same fold metrics as the shared tiny run, byte for
    byte (one fold of tiny_demo: its SMOTEENN set, both GAN bases, their gates and top-ups, every
    arm's classifiers)."""
    import json

    import yaml

    from conftest import run_snakemake, workdir_with_defaults
    from infantfer.provenance import config_from

    table = "results/tiny_demo/evaluate/r0_f1/metrics.tsv"
    with shared_tiny_run.reading():  # not during the rerun: it takes a while, and reads nothing of the run
        record = json.loads((shared_tiny_run.path / "results" / "tiny_demo" / "provenance.json").read_text())
        expected = (shared_tiny_run.path / table).read_bytes()
    assert {"torch", "numpy", "scikit-learn", "imbalanced-learn", "opencv-python-headless", "snakemake"} <= set(
        k for k, v in record["packages"].items() if v)
    fresh = workdir_with_defaults(tmp_path / "again")
    (fresh / "rerun.yaml").write_text(yaml.safe_dump(config_from(record), sort_keys=False))  # arms keep their order
    run_snakemake(fresh, table, "--cores", "2", "--configfile", "rerun.yaml")
    assert (fresh / table).read_bytes() == expected


def test_the_record_names_the_cpu_and_the_kernels_torch_chose(monkeypatch):
    """Other CPUs pick other kernels, and the GAN comes out slightly different: a record says which."""
    import torch

    from infantfer.provenance import device

    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "avx2")
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    info = device()
    assert info["isa_variables"] == {"ATEN_CPU_CAPABILITY": "avx2"}
    assert info["torch_cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    assert info["cpu_model"] and info["cpu_model"] in info["summary"]
