"""Shared fixtures: paths, the shared adult sample (skipped where absent), small image sets."""
from __future__ import annotations

import functools
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
SHARED_SAMPLE = REPO.parent / "shared" / "data" / "faces_adult_sample"


@functools.cache
def local_run_env() -> dict[str, str]:
    """The environment of `snakemake` runs that do not use SLURM.

    snakemake-executor-plugin-slurm runs `scontrol show config` when snakemake starts (for MinJobAge,
    to word a help text). Where SLURM is installed but no controller runs, as in CI, which installs it
    for tests/test_slurm.py and runs its daemons only meanwhile, scontrol retries for MessageTimeout:
    9 s added to every snakemake start. For local runs a stand-in scontrol that fails at once comes
    first on PATH; the plugin then just leaves its squeue hint out."""
    env = dict(os.environ)
    if shutil.which("scontrol"):
        shim = Path(tempfile.mkdtemp(prefix="no-scontrol-"))
        (shim / "scontrol").write_text("#!/bin/sh\nexit 1\n")
        (shim / "scontrol").chmod(0o755)
        env["PATH"] = f"{shim}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.fixture
def adult_sample() -> Path:
    if not (SHARED_SAMPLE / "labels.csv").is_file():
        pytest.skip(f"shared adult sample not found at {SHARED_SAMPLE}")
    return SHARED_SAMPLE


def write_image(path: Path, seed: int, size: int = 24, mode: str = "L") -> Path:
    """A small random image: distinct seeds give distinct bytes."""
    rng = np.random.default_rng(seed)
    shape = (size, size) if mode == "L" else (size, size, 3)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode=mode).save(path)
    return path


@pytest.fixture
def class_folders(tmp_path) -> Path:
    """cry 6 / laugh 4 / neutral 3 random PNGs in class folders."""
    root = tmp_path / "folders"
    seed = 0
    for label, n in {"cry": 6, "laugh": 4, "neutral": 3}.items():
        for i in range(n):
            seed += 1
            write_image(root / label / f"{label}_{i}.png", seed)
    return root


# The order files start in with pytest-xdist (`-n 3 --dist loadfile --no-loadscope-reorder`,
# pyproject.toml): the tiny run of test_workflow.py (the longest chain of tests, which every other
# end-to-end file would slow down) and the SLURM run (mostly waiting on SLURM) first, each on a
# worker of its own; the unit tests next; the other end-to-end files last, as workers come free.
# The rest keep pytest's order.
FIRST = ["test_workflow.py", "test_slurm.py"]
LAST = ["test_paths_audit.py", "test_kill_resume.py", "test_fixes_work.py"]


def pytest_collection_modifyitems(config, items):
    def rank(item):
        name = item.path.name
        return FIRST.index(name) if name in FIRST else len(FIRST) + 1 + LAST.index(name) if name in LAST else len(FIRST)

    items.sort(key=rank)  # a stable sort
