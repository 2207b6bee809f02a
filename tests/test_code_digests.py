"""Which code a result depends on: the digests of a rule's script and the package modules it runs,
which rerun that rule's jobs on a change that can change a result and on nothing else (comments,
docstrings, layout, log wording, the version, display names where nothing is drawn)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import REPO
from infantfer import code_digests
from infantfer.code_digests import CodeDigests

PACKAGE = REPO / "workflow" / "infantfer"


@pytest.fixture
def package(tmp_path) -> Path:
    """A copy of the package, with scripts that use parts of it."""
    copy = tmp_path / "infantfer"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "gan.py").write_text("from infantfer.gan_run import run_key\n")
    (tmp_path / "gate.py").write_text("from infantfer.gate import gate_run\n")
    return copy


def versions(package: Path, cache: Path | None = None) -> dict[str, list[str]]:
    cv = CodeDigests(cache, package_dir=package)
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
    cv = CodeDigests(package_dir=package)
    before = cv.of(tmp_path / "sub.py")
    (package / "sub" / "b.py").write_text("def f():\n    return 2\n")
    assert CodeDigests(package_dir=package).of(tmp_path / "sub.py") != before


def test_the_gan_package_is_followed_into_its_modules(package, tmp_path):
    """cgan_train.py imports infantfer.cgan, a package whose __init__ re-exports its modules'
    functions (`from .train import train_cgan`), which import each other and infantfer.io
    (`from ..io.atomic import atomic_path`): a logic change in any of them reaches the script's digest, a
    comment does not."""
    script = REPO / "workflow" / "scripts" / "cgan_train.py"
    assert "from infantfer.cgan import" in script.read_text()

    def digest(path=script):
        return CodeDigests(package_dir=package).of(path)

    before = digest()
    edit(package / "cgan" / "networks.py", "def count_parameters(", "# for the log\n\n\ndef count_parameters(")
    assert digest() == before
    edit(package / "cgan" / "networks.py", "nn.LeakyReLU(0.2)", "nn.LeakyReLU(0.1)")
    after_networks = digest()
    assert after_networks != before
    edit(package / "io" / "atomic.py", "@contextlib.contextmanager\ndef atomic_path(",
         "IO_VERSION = 2\n\n\n@contextlib.contextmanager\ndef atomic_path(")
    assert digest() != after_networks
    # importing a submodule runs the subpackage's __init__ first: its logic counts too
    (tmp_path / "direct.py").write_text("from infantfer.cgan.train import _Trainer\n")
    direct = digest(tmp_path / "direct.py")
    edit(package / "cgan" / "__init__.py", "__all__ = [", "GAN_VERSION = 2\n__all__ = [")
    assert digest(tmp_path / "direct.py") != direct


def test_the_cache_spares_the_parsing_and_gives_the_same_digests(package, tmp_path, monkeypatch):
    cache = tmp_path / "cache" / "code_digests.json"
    first = versions(package, cache)
    assert cache.is_file()

    def no_parsing(*args):
        raise AssertionError("a known file was parsed again")

    monkeypatch.setattr(code_digests, "analyse", no_parsing)
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
        code = re.findall(r'\*package_code\("(\w+\.py)"\)', block)
        assert code == [script.group(1)], block.splitlines()[0]
        checked += 1
    assert checked >= 20


def test_packages_are_followed_through_init_relative_and_function_level_imports(package, tmp_path):
    """Stage packages (figures, report, ...) re-export their modules' functions from __init__, import
    each other relatively (`from .style import`, `from ..io import`, `from . import x`) and at
    function level (figures.cd's `from ..statistics import nemenyi`): a logic change in any module a
    script reaches changes its digest; one in a module it never reaches, or a comment, does not."""
    scripts = REPO / "workflow" / "scripts"

    def digest(name):
        return CodeDigests(package_dir=package).of(scripts / name)

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
    first = CodeDigests(package_dir=package).of(tmp_path / "pkg.py")
    (package / "pkg" / "part.py").write_text("from ..io import write_text\n\nVALUE = 2\n")
    assert CodeDigests(package_dir=package).of(tmp_path / "pkg.py") != first




# ------------------------------------------------------------------ what the listing names and leaves out


def named(listing: list[str]) -> dict[str, str]:
    return dict(entry.split("@") for entry in listing)


def test_the_listing_names_the_script_and_each_module_so_that_the_reason_names_the_change(package):
    """One `module@digest` per module: Snakemake's "Params have changed" lists only the entries
    that differ, so the reason names the module that changed."""
    before = named(versions(package)["gate"])
    assert "scripts/gate.py" in before and "gate.score" in before and "gate.run" in before
    edit(package / "gate" / "score.py", "def ", "SCORE_VERSION = 2\n\n\ndef ")
    after = named(versions(package)["gate"])
    assert {k for k in before if before[k] != after.get(k)} == {"gate.score"}


def test_log_wording_the_log_format_and_the_version_change_nothing(package):
    before = versions(package)
    edit(package / "gate" / "run.py", "log.info(\"", "log.info(\"reworded: ")  # a log line's wording
    edit(package / "logs.py", 'FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"', 'FORMAT = "%(levelname)s %(message)s"')
    edit(package / "__init__.py", '__version__ = "', '__version__ = "9')
    assert versions(package) == before
    assert "logs" not in named(versions(package)["gate"])  # never in a listing: no result depends on it


def test_what_a_log_line_computes_and_an_error_message_count(package):
    """A log call's expressions stay in (they run); an error message stays in too: some become
    rows of a result (faces_report.tsv's reasons)."""
    (package.parent / "faces.py").write_text("from infantfer.faces.images import load_rgb\n")
    cv = CodeDigests(package_dir=package)
    before = named(cv.of(package.parent / "faces.py"))
    edit(package / "faces" / "images.py", 'raise UnreadableImage(f"cannot decode', 'raise UnreadableImage(f"could not decode')
    assert named(CodeDigests(package_dir=package).of(package.parent / "faces.py"))["faces.images"] != before["faces.images"]
    (package / "logged.py").write_text("import logging\nlog = logging.getLogger(__name__)\n\ndef f(x):\n    log.info('x is %s', x.sum())\n")
    (package.parent / "logged.py").write_text("from infantfer.logged import f\n")
    first = named(CodeDigests(package_dir=package).of(package.parent / "logged.py"))["logged"]
    edit(package / "logged.py", "'x is %s'", "'the sum: %s'")
    assert named(CodeDigests(package_dir=package).of(package.parent / "logged.py"))["logged"] == first
    edit(package / "logged.py", "x.sum()", "x.mean()")
    assert named(CodeDigests(package_dir=package).of(package.parent / "logged.py"))["logged"] != first


def test_a_metric_s_display_name_reruns_what_draws_it_never_what_computes_it(package):
    scripts = REPO / "workflow" / "scripts"

    def digests():
        cv = CodeDigests(package_dir=package)
        return {name: cv.of(scripts / name) for name in ("evaluate_fold.py", "statistics.py", "figures.py", "answer.py")}

    before = digests()
    edit(package / "metrics.py", 'display="macro F1"', 'display="F1 (macro)"')
    after = digests()
    assert after["evaluate_fold.py"] == before["evaluate_fold.py"]
    assert after["statistics.py"] == before["statistics.py"]
    assert named(after["figures.py"])["metrics"] != named(before["figures.py"])["metrics"]
    assert named(after["answer.py"])["metrics"] != named(before["answer.py"])["metrics"]
    edit(package / "metrics.py", "average=\"macro\"", "average=\"weighted\"")  # how it is computed: everything
    assert digests()["evaluate_fold.py"] != before["evaluate_fold.py"]


def test_the_demo_s_drawing_is_in_no_script_s_closure_but_in_its_own_digest(package):
    scripts = REPO / "workflow" / "scripts"
    cv = CodeDigests(package_dir=package)
    listings = {p.name: cv.of(p) for p in scripts.glob("*.py")}
    assert not [name for name, listing in listings.items() if any(e.startswith("demo") for e in listing)]
    demo = cv.of_package("infantfer.demo")
    edit(package / "demo" / "face.py", "def ", "FACE_VERSION = 2\n\n\ndef ")
    again = CodeDigests(package_dir=package)
    assert again.of_package("infantfer.demo") != demo
    assert {p.name: again.of(p) for p in scripts.glob("*.py")} == listings


# ------------------------------------------------------------------ the structure that keeps closures narrow

# the jobs that compute what later jobs and the statistics use (docs/reruns.md): display text, the
# log format and the version must stay out of their code
COMPUTE_SCRIPTS = ["ingest.py", "faces.py", "split.py", "resample.py", "cgan_train.py", "gate.py", "augment.py",
                   "evaluate_fold.py", "quality.py", "privacy.py", "statistics.py", "collect_dataset.py",
                   "balanced_set.py", "best_arm.py"]


def test_no_compute_job_runs_a_presentation_module_the_config_or_the_log_format():
    cv = CodeDigests(package_dir=PACKAGE)
    for script in COMPUTE_SCRIPTS:
        modules = set(cv.closure(REPO / "workflow" / "scripts" / script))
        assert not {m for m in modules if code_digests.is_presentation(m)}, script
        assert not modules & {"infantfer.logs", "infantfer.config", "infantfer.provenance"}, script


def test_no_module_outside_the_report_and_figures_imports_them():
    """The rule behind the closures above, module by module: a presentation module imported by a
    compute module would put report wording into the GANs' code."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(("infantfer", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")
        if code_digests.is_presentation(name):
            continue
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        imported = code_digests.analyse(path.read_bytes(), package)["imports"]
        offenders += [f"{name} imports {m}" for m in imported if code_digests.is_presentation(m)]
    assert not offenders, offenders
