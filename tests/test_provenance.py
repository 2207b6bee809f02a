"""Which code a result depends on: the digest of the package modules a rule's script uses, which
reruns that rule's jobs on a logic change and on nothing else (comments, docstrings, layout)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import REPO
from infantfer import provenance
from infantfer.provenance import CodeVersions

PACKAGE = REPO / "workflow" / "infantfer"


@pytest.fixture
def package(tmp_path) -> Path:
    """A copy of the package, with scripts that use parts of it."""
    copy = tmp_path / "infantfer"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "gan.py").write_text("from infantfer.gan_run import run_key\n")
    (tmp_path / "gate.py").write_text("from infantfer.gate import gate_run\n")
    return copy


def versions(package: Path, cache: Path | None = None) -> dict[str, str]:
    cv = CodeVersions(cache, package_dir=package)
    result = {name: cv.of(package.parent / f"{name}.py") for name in ("gan", "gate")}
    cv.save()
    return result


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_comments_docstrings_and_layout_change_nothing(package):
    before = versions(package)
    edit(package / "gan_run.py", "def run_key(", "# a new comment\n\n\ndef run_key(")
    edit(package / "gan_run.py", '"""A short hash of what a GAN learns', '"""Reworded: a short hash of what a GAN learns')
    edit(package / "parts.py", "    rf = parse_part(part)\n", "    rf = parse_part(part)  # why, not what\n\n")
    assert versions(package) == before


def test_a_logic_change_reaches_exactly_the_scripts_that_use_the_module(package):
    before = versions(package)
    edit(package / "gate" / "run.py", "def gate_run(", "GATE_VERSION = 2\n\n\ndef gate_run(")
    after = versions(package)
    assert after["gate"] != before["gate"]
    assert after["gan"] == before["gan"]  # the GAN jobs never import the gate: no retraining


def test_a_change_reached_through_a_function_level_import_counts(package):
    """gan_run.part_sets imports infantfer.split inside the function: that runs when the job calls
    it, so split's logic is part of the GAN jobs' code."""
    before = versions(package)
    edit(package / "split.py", "def part_indices(", "SPLIT_VERSION = 2\n\n\ndef part_indices(")
    assert versions(package)["gan"] != before["gan"]


def test_relative_imports_of_a_subpackage_resolve_inside_it(package, tmp_path):
    (package / "sub").mkdir()
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "a.py").write_text("from .b import f\n")
    (package / "sub" / "b.py").write_text("def f():\n    return 1\n")
    (tmp_path / "sub.py").write_text("from infantfer.sub.a import f\n")
    cv = CodeVersions(package_dir=package)
    before = cv.of(tmp_path / "sub.py")
    (package / "sub" / "b.py").write_text("def f():\n    return 2\n")
    assert CodeVersions(package_dir=package).of(tmp_path / "sub.py") != before


def test_the_gan_package_is_followed_into_its_modules(package, tmp_path):
    """cgan_train.py imports infantfer.cgan, a package whose __init__ re-exports its modules'
    functions (`from .train import train_cgan`), which import each other and infantfer.io
    (`from ..io import atomic_path`): a logic change in any of them reaches the script's digest, a
    comment does not."""
    script = REPO / "workflow" / "scripts" / "cgan_train.py"
    assert "from infantfer.cgan import" in script.read_text()

    def digest(path=script):
        return CodeVersions(package_dir=package).of(path)

    before = digest()
    edit(package / "cgan" / "networks.py", "def count_parameters(", "# for the log\n\n\ndef count_parameters(")
    assert digest() == before
    edit(package / "cgan" / "networks.py", "nn.LeakyReLU(0.2)", "nn.LeakyReLU(0.1)")
    after_networks = digest()
    assert after_networks != before
    edit(package / "io.py", "@contextlib.contextmanager\ndef atomic_path(",
         "IO_VERSION = 2\n\n\n@contextlib.contextmanager\ndef atomic_path(")
    assert digest() != after_networks
    # importing a submodule runs the subpackage's __init__ first: its logic counts too
    (tmp_path / "direct.py").write_text("from infantfer.cgan.train import _Trainer\n")
    direct = digest(tmp_path / "direct.py")
    edit(package / "cgan" / "__init__.py", "__all__ = [", "GAN_VERSION = 2\n__all__ = [")
    assert digest(tmp_path / "direct.py") != direct


def test_the_cache_spares_the_parsing_and_gives_the_same_digests(package, tmp_path, monkeypatch):
    cache = tmp_path / "cache" / "code_versions.json"
    first = versions(package, cache)
    assert cache.is_file()

    def no_parsing(*args):
        raise AssertionError("a known file was parsed again")

    monkeypatch.setattr(provenance, "_analyse", no_parsing)
    assert versions(package, cache) == first
    monkeypatch.undo()
    cache.write_text("{not json")  # a damaged cache is rebuilt, never trusted
    assert versions(package, cache) == first


def test_every_rule_carries_its_script_s_package_code():
    """Each rule with a script passes package_code for that same script (a copy-paste slip would
    rerun one rule on another's modules)."""
    import re

    rules = "\n".join(p.read_text() for p in sorted((REPO / "workflow" / "rules").glob("*.smk")))
    blocks = re.split(r"\n(?=(?:rule|checkpoint) \w+:)", rules)
    checked = 0
    for block in blocks:
        script = re.search(r'script:\s*\n\s*"\.\./scripts/(\w+\.py)"', block)
        if not script:
            continue
        code = re.findall(r'package_code=package_code\("(\w+\.py)"\)', block)
        assert code == [script.group(1)], block.splitlines()[0]
        checked += 1
    assert checked >= 20


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


def test_packages_are_followed_through_init_relative_and_function_level_imports(package, tmp_path):
    """Stage packages (figures, report, ...) re-export their modules' functions from __init__, import
    each other relatively (`from .style import`, `from ..io import`, `from . import x`) and at
    function level (figures.cd's `from ..statistics import nemenyi`): a logic change in any module a
    script reaches changes its digest; one in a module it never reaches, or a comment, does not."""
    scripts = REPO / "workflow" / "scripts"

    def digest(name):
        return CodeVersions(package_dir=package).of(scripts / name)

    before = {name: digest(name) for name in ("figures.py", "cd_diagram.py", "tables.py")}
    edit(package / "figures" / "gate.py", "def _gate_table(", "# why, not what\n\n\ndef _gate_table(")
    assert {name: digest(name) for name in before} == before
    edit(package / "figures" / "style.py", "DPI = 110", "DPI = 111")  # reached through figures/__init__
    assert digest("figures.py") != before["figures.py"] and digest("cd_diagram.py") != before["cd_diagram.py"]
    assert digest("tables.py") == before["tables.py"]  # the report never draws
    after_style = digest("cd_diagram.py")
    edit(package / "statistics" / "compare.py", "MIN_PAIRS = 5", "MIN_PAIRS = 6")  # figures.cd.draw_cd's function-level import
    assert digest("cd_diagram.py") != after_style
    # `from . import x` in a package's __init__ names the submodule x
    (package / "pkg").mkdir()
    (package / "pkg" / "__init__.py").write_text("from . import part\n")
    (package / "pkg" / "part.py").write_text("from ..io import write_text\n\nVALUE = 1\n")
    (tmp_path / "pkg.py").write_text("from infantfer import pkg\n")
    first = CodeVersions(package_dir=package).of(tmp_path / "pkg.py")
    (package / "pkg" / "part.py").write_text("from ..io import write_text\n\nVALUE = 2\n")
    assert CodeVersions(package_dir=package).of(tmp_path / "pkg.py") != first


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
