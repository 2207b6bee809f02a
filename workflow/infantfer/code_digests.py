"""Which code a job runs, as short digests that Snakemake compares between runs: the job's script
and every infantfer module it executes, each reduced to what can change a result.

Snakemake's own code trigger reruns a ``script:`` rule whose script file is newer than its outputs,
so a ``git pull``, a fresh checkout or a copy of the project retrains every GAN; and it cannot see
the package modules the script calls. The workflow profiles therefore leave that trigger out
(``rerun-triggers``) and each rule passes, as params, one ``module@digest`` value per module its
script reaches (``scripts/gate.py@1a2b3c4d``, ``gate.score@9f8e7d6c``, ...). A change that can
change a result reruns exactly the jobs that run it, and Snakemake's reason names the module
("Params have changed since last execution: ... before: 'gate.score@...' now: 'gate.score@...'").

What is left out of a digest, because no result file can depend on it:

- comments, docstrings and layout (the digest is of Python's syntax tree);
- the package version (``__version__``);
- the wording of log lines (string constants inside ``log.info(...)``-style calls and
  ``warnings.warn(...)``; the expressions they format stay in);
- :data:`NO_RESULT_MODULES`: log format, progress, when a job stops (``logs``, ``interrupts``);
- :data:`LAYOUT_PACKAGES`, which only datasets of one layout run (the demo's drawing): the ingest
  rule adds their digest to those datasets' jobs alone (:meth:`CodeDigests.of_package`);
- for jobs that draw nothing for people, display text: the values of ``display=`` keywords
  (a metric's display name in :mod:`infantfer.metrics`). A job whose code reaches
  :data:`PRESENTATION_PACKAGES` (figures, the report's pages) keeps them: its outputs show them.

Error messages stay in: some become rows of a result (``faces_report.tsv``'s reasons).

Imports are followed wherever they stand (a function's import runs when it is called), and
``infantfer.a.b`` runs ``infantfer/a/__init__.py`` first. Analyses are cached by each file's bytes
(parsing them all costs half a second a ``snakemake`` start). Another Python version may change
the syntax tree's dump, and everything then reruns once.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
from pathlib import Path

PACKAGE = "infantfer"
PACKAGE_DIR = Path(__file__).resolve().parent
PRESENTATION_PACKAGES = ("infantfer.report", "infantfer.figures")
NO_RESULT_MODULES = frozenset({"infantfer.logs", "infantfer.interrupts"})
# packages that only datasets of one layout run (infantfer.ingest.layouts.Layout.module): left out of
# every script's closure, and added by the ingest rule for those datasets alone (common.smk), so that
# a change to the demo's drawing never re-ingests a real dataset
LAYOUT_PACKAGES = frozenset({"infantfer.demo"})
DISPLAY_KEYWORDS = frozenset({"display"})
LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})
LOGGER_NAMES = frozenset({"log", "logger", "_log", "logging"})
METADATA_NAMES = frozenset({"__version__"})
CACHE_FORMAT = 2  # bump when the analysis changes: old cache entries are then ignored
DIGEST_CHARS = 8


def is_presentation(module: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in PRESENTATION_PACKAGES)


def _is_log_call(node: ast.Call) -> bool:
    func = node.func
    if not isinstance(func, ast.Attribute) or func.attr not in LOG_METHODS:
        return False
    owner = func.value
    if isinstance(owner, ast.Attribute):  # self.logger.info(...)
        return owner.attr in LOGGER_NAMES
    if isinstance(owner, ast.Name):
        return owner.id in LOGGER_NAMES or (owner.id == "warnings" and func.attr == "warn")
    return False


def _without_text(node: ast.expr) -> ast.expr:
    """A log call's argument without its wording: a string becomes "", an f-string the tuple of
    the expressions it formats."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return ast.Constant("")
    if isinstance(node, ast.JoinedStr):
        values = [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
        return ast.Tuple(elts=values, ctx=ast.Load())
    return node


class _Reduce(ast.NodeTransformer):
    """The syntax tree without what cannot change a result (see the module's docstring)."""

    def __init__(self, keep_display: bool):
        self.keep_display = keep_display

    def _body(self, node):
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            # a module may be left empty (then it has no logic); a function or class keeps a body
            node.body = body[1:] or ([] if isinstance(node, ast.Module) else [ast.Pass()])
        self.generic_visit(node)
        return node

    visit_Module = visit_ClassDef = visit_FunctionDef = visit_AsyncFunctionDef = _body

    def visit_Assign(self, node):
        if all(isinstance(t, ast.Name) and t.id in METADATA_NAMES for t in node.targets):
            return None
        return self.generic_visit(node)

    def visit_Call(self, node):
        self.generic_visit(node)
        if _is_log_call(node):
            node.args = [_without_text(a) for a in node.args]
            for kw in node.keywords:
                kw.value = _without_text(kw.value)
        if not self.keep_display:
            for kw in node.keywords:
                if kw.arg in DISPLAY_KEYWORDS:
                    kw.value = ast.Constant("")
        return node


_EMPTY = ast.dump(ast.Module(body=[], type_ignores=[]))


def _digest(tree: ast.AST) -> str:
    dump = ast.dump(tree)
    return "" if dump == _EMPTY else hashlib.sha256(dump.encode()).hexdigest()[:DIGEST_CHARS]


def _imports(tree: ast.AST, package: str) -> list[str]:
    """The infantfer modules (or names in them) a module imports anywhere. ``package``: where
    relative imports start from."""
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names if a.name.split(".")[0] == PACKAGE}
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                module = importlib.util.resolve_name("." * node.level + module, package)
            if module.split(".")[0] == PACKAGE:
                imported.add(module)
                imported |= {f"{module}.{a.name}" for a in node.names}  # `from infantfer import x`: x may be a module
    return sorted(imported)


def analyse(code: bytes, package: str) -> dict:
    """A module's two digests ("" for a module with no logic): ``full`` (what a job that draws
    for people runs) and ``compute`` (the same without display text), and its imports."""
    tree = ast.parse(code)
    imports = _imports(tree, package)
    # the module itself: with no logic left after the reductions, it is left out of every listing
    full = _digest(_Reduce(keep_display=True).visit(ast.parse(code)))
    compute = _digest(_Reduce(keep_display=False).visit(tree))
    return {"full": full, "compute": compute, "imports": imports}


class CodeDigests:
    """:meth:`of` a script: ``module@digest`` for the script and every infantfer module it runs.

    ``cache``: a JSON file of earlier analyses (``.snakemake/infantfer/code_digests.json`` in the
    workflow); ``package_dir``: the infantfer package whose modules are read.
    """

    def __init__(self, cache: str | Path | None = None, package_dir: str | Path = PACKAGE_DIR):
        self.cache = Path(cache) if cache else None
        self.package_dir = Path(package_dir)
        self._known: dict[str, dict] = {}
        self._new = False
        if self.cache and self.cache.is_file():
            try:
                stored = json.loads(self.cache.read_text())
                if stored.get("format") == CACHE_FORMAT:
                    self._known = {k: dict(v) for k, v in stored["modules"].items()}
            except (ValueError, TypeError, KeyError, AttributeError):
                self._known = {}  # unreadable: parse afresh and rewrite it

    def _module_file(self, name: str) -> Path | None:
        parts = name.split(".")[1:]
        package = self.package_dir.joinpath(*parts, "__init__.py")
        if package.is_file():
            return package
        module = self.package_dir.joinpath(*parts).with_suffix(".py") if parts else None
        return module if module and module.is_file() else None

    def _analysis(self, path: Path, package: str) -> dict:
        code = path.read_bytes()
        key = hashlib.sha256(package.encode() + b"\0" + code).hexdigest()
        if key not in self._known:
            self._known[key] = analyse(code, package)
            self._new = True
        return self._known[key]

    def closure(self, script: str | Path | None = None, start: list[str] | None = None,
                skip: frozenset = NO_RESULT_MODULES | LAYOUT_PACKAGES) -> dict[str, dict]:
        """Every infantfer module ``script`` (or the modules ``start``) runs (its analysis), by
        name; the modules of ``skip`` and theirs are not followed."""
        seen: dict[str, dict] = {}
        todo = list(start or []) + (list(self._analysis(Path(script), PACKAGE)["imports"]) if script else [])
        while todo:
            name = todo.pop()
            if name in seen or any(name == s or name.startswith(s + ".") for s in skip):
                continue
            path = self._module_file(name)
            if path is None:  # a function or class imported by name, not a module
                seen[name] = {}
                continue
            package = name if path.name == "__init__.py" else name.rpartition(".")[0]
            seen[name] = self._analysis(path, package)
            todo += seen[name]["imports"]
            if "." in name:  # importing infantfer.cgan.train runs infantfer.cgan first
                todo.append(name.rpartition(".")[0])
        return {name: analysis for name, analysis in seen.items() if analysis}

    def of(self, script: str | Path) -> list[str]:
        """``scripts/<script>@digest`` and ``<module>@digest`` (without the ``infantfer.``
        prefix) for each module of the closure that has logic, sorted by module."""
        script = Path(script)
        modules = self.closure(script)
        kind = "full" if any(map(is_presentation, modules)) else "compute"
        own = self._analysis(script, PACKAGE)[kind]
        listing = [f"scripts/{script.name}@{own}"]
        for name in sorted(modules):
            digest = modules[name][kind]
            if digest:
                short = name.removeprefix(PACKAGE + ".") if name != PACKAGE else name
                listing.append(f"{short}@{digest}")
        return listing

    def of_package(self, package: str) -> str:
        """``<package>@digest``: one digest of a package of :data:`LAYOUT_PACKAGES` and the
        modules it runs (within that package), for the jobs of the datasets that use it."""
        modules = self.closure(start=[package], skip=NO_RESULT_MODULES)
        inside = sorted(name for name in modules if name == package or name.startswith(package + "."))
        listing = "\n".join(f"{name} {modules[name]['compute']}" for name in inside)
        return f"{package.removeprefix(PACKAGE + '.')}@{hashlib.sha256(listing.encode()).hexdigest()[:DIGEST_CHARS]}"

    def save(self) -> None:
        """Write the cache if anything new was parsed (atomically: snakemake runs may start together)."""
        if self.cache and self._new:
            from .io.atomic import write_text

            # old versions of edited modules stay (about 200 bytes each): delete the file to trim it
            write_text(self.cache, json.dumps({"format": CACHE_FORMAT, "modules": self._known}))
            self._new = False
