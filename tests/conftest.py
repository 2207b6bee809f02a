"""Shared fixtures and helpers: paths, the one way tests run `snakemake`, the shared finished tiny
run, the shared adult sample (skipped where absent), small image sets."""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from audit_hook import audit_env

REPO = Path(__file__).resolve().parents[1]
SHARED_SAMPLE = REPO.parent / "shared" / "data" / "faces_adult_sample"
STAND_IN_BIN = Path(__file__).resolve().parent / "bin"  # scontrol that fails at once
STEP_TIMES_CACHE = Path(tempfile.gettempdir()) / f"infantfer-tests-{os.getuid()}" / "gan_step_times.json"

# A GAN that trains in seconds: what the end-to-end runs use.
TINY_GAN = {"size": 16, "steps": 20, "checkpoint_every": 10, "batch_size": 16, "g_width": 16, "d_width": 8, "z_dim": 16}


# ------------------------------------------------------------------ running snakemake


def local_run_env() -> dict[str, str]:
    """The environment of `snakemake` runs that do not use SLURM.

    snakemake-executor-plugin-slurm runs `scontrol show config` when snakemake starts (for MinJobAge,
    to word a help text). Where SLURM is installed but no controller runs, as in CI, which installs it
    for tests/test_slurm.py and runs its daemons only meanwhile, scontrol retries for MessageTimeout:
    9 s added to every snakemake start. For local runs a stand-in scontrol that fails at once
    (tests/bin/scontrol) comes first on PATH; the plugin then just leaves its squeue hint out."""
    env = dict(os.environ)
    # the GAN step times the cost estimate measures (infantfer.step_time): once per machine and GAN
    # shape for the whole suite, not once per run directory
    env.setdefault("INFANTFER_GAN_STEP_TIMES", str(STEP_TIMES_CACHE))
    if shutil.which("scontrol"):
        env["PATH"] = f"{STAND_IN_BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def snakemake_command(*args: str, snakefile: Path = REPO / "Snakefile") -> list[str]:
    return [sys.executable, "-m", "snakemake", "--snakefile", str(snakefile), *args]


def run_snakemake(workdir: Path, *args: str, check: bool = True, env: dict[str, str] | None = None,
                  timeout: float = 1500, snakefile: Path = REPO / "Snakefile") -> subprocess.CompletedProcess:
    """`snakemake *args` in ``workdir``, with :func:`local_run_env` unless ``env`` is given (a SLURM
    run needs the real scontrol). With ``check``, a failed run raises with the end of its output."""
    cmd = snakemake_command(*args, snakefile=snakefile)
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=workdir,
                            env=local_run_env() if env is None else env)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}")
    return result


def jobs_of(dry_run_output: str) -> set[str]:
    """Rule names in the job table of `snakemake -n`."""
    table = dry_run_output.split("Job stats:")[1].split("\n\n")[0]
    return {line.split()[0] for line in table.splitlines()[3:] if line.strip() and line.split()[0] != "total"}


def workdir_with_defaults(tmp: Path) -> Path:
    """A run directory laid out like the repository root (the demo comes from the repository's config/demo.yaml)."""
    (tmp / "config").mkdir(parents=True)
    shutil.copy(REPO / "config" / "config.yaml", tmp / "config" / "config.yaml")
    return tmp


# ------------------------------------------------------------------ the shared tiny run

BASELINE_ARMS = {"original": {}, "weighted": {"class_weight": "balanced"}, "random_over": {"resampler": "random_over"},
                 "enn_mode": {"resampler": "smoteenn", "params": {"kind_sel": "mode"}}}


def tiny_config(folder_root: Path) -> dict:
    """Two small datasets: the demo with the method's four arms, and a class-folder dataset with its
    own arms, none with a GAN."""
    return {
        "datasets": {
            "tiny_demo": {"layout": "demo", "counts": {"cry": 30, "laugh": 18, "neutral": 14}, "size": 32,
                          "faces": {"detector": "none"}},
            # its own arms, none with a GAN: class weights, random oversampling, a SMOTEENN variant
            "tiny_folders": {"layout": "folders", "path": str(folder_root), "faces": {"detector": "none", "size": 16},
                             "arms": BASELINE_ARMS, "balanced": {"arm": "best"},
                             "split": {"folds": 2, "repeats": 3}},  # n = 6: enough pairs to test
        },
        "faces": {"size": 24},
        "split": {"folds": 2, "repeats": 1, "seed": 0},
        "evaluate": {"n_estimators": 5, "variants": {"f1_alpha_only": {"class_factor": "none"}}},
        "cgan": TINY_GAN,
        "gate": {"n_draws": 5},
    }


# The paths audit's dataset (tests/test_paths_audit.py): hostile class-folder and file names, and a
# dataset name at the edge of what the schema allows. Its arms, folds and repeats are its own, so
# that a change of the top-level ones (tests/test_reruns.py) reruns the tiny datasets only.
HOSTILE = "x-1_"  # the schema's edge: letters, digits, '-' and '_'
HOSTILE_LABELS = {  # demo class -> the hostile class-folder name it becomes (all accepted by the ingest)
    "cry": "crying baby",
    "laugh": "\u00dcberraschung",  # Überraschung, NFC
    "neutral": "-- rm -rf",
}
NOISE_LABELS = ["x..y", "a:b $(touch pwned)"]  # random-noise classes beside the demo's
HOSTILE_FILES = ["bébé 01 (copie).png", "--help.png", "a;b&c`id`.png", "x y.PNG", "..dots.png"]
HOSTILE_SETTINGS = {
    "layout": "folders", "path": "data",
    "arms": {"original": {}, "cgan": {"gan": True}},
    "balanced": {"arm": "cgan"},
    "faces": {"detector": "none", "size": 16},
    "split": {"folds": 2, "repeats": 1},
    "evaluate": {"n_estimators": 3},
    "cgan": {"steps": 10, "checkpoint_every": 5},
    "gate": {"n_draws": 3},
}


def write_hostile_dataset(root: Path) -> None:
    from infantfer.demo import write_demo

    staging = root.parent / "staging"
    write_demo(staging, counts={"cry": 8, "laugh": 7, "neutral": 6}, size=32, seed=5)
    root.mkdir(parents=True)
    for demo, label in HOSTILE_LABELS.items():
        shutil.move(staging / demo, root / label)
    staging.rmdir()
    for n, label in enumerate(NOISE_LABELS):
        for i in range(6):
            write_image(root / label / f"{i}.png", seed=1000 + 10 * n + i, size=32)
    for label, name in zip([*HOSTILE_LABELS.values(), *NOISE_LABELS], HOSTILE_FILES):
        first = sorted((root / label).glob("*.png"))[0]
        first.rename(root / label / name)  # '..dots.png' starts with a dot: the ingest skips it
    write_image(root / ".hidden" / "0.png", seed=7, size=32)  # a dot folder: skipped by the ingest


def snapshot(folder: Path) -> dict[str, list[int]]:
    """Each file under ``folder``: its size and modification time (ns)."""
    return {p.relative_to(folder).as_posix(): [p.stat().st_size, p.stat().st_mtime_ns]
            for p in sorted(folder.rglob("*")) if p.is_file()}


@dataclass(frozen=True)
class SharedRun:
    """The finished tiny run: ``path`` is its run directory (tiny.yaml, config/, folders/ and data/
    the two class-folder datasets, results/, logs/, .snakemake/); the audit's folders (site/, audit/,
    temp/) lie beside it in ``base``."""

    base: Path
    seconds: float  # the run's wall-clock and CPU seconds
    cpu: float
    listing: list[str]  # the run directory's entries when the run ended
    datasets_before: dict[str, dict]  # snapshot of folders/ and data/ before the run
    datasets_after: dict[str, dict]  # and when it ended
    log: str  # snakemake's log of the run

    @property
    def path(self) -> Path:
        return self.base / "run"

    @contextlib.contextmanager
    def reading(self):
        """While held, no test changes the run (many readers at once, in any worker)."""
        with _flock(self.base / "turn.lock", fcntl.LOCK_EX):  # not past a test waiting to change it
            pass
        with _flock(self.base / "use.lock", fcntl.LOCK_SH):
            yield

    @contextlib.contextmanager
    def changing(self):
        """While held, no other test reads the run. A test waiting for it lets the readers at work
        finish, and no new one start (flock alone would let a stream of readers keep it waiting)."""
        with _flock(self.base / "turn.lock", fcntl.LOCK_EX):
            handle = open(self.base / "use.lock", "a")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()


@contextlib.contextmanager
def _flock(path: Path, how: int):
    """An flock on ``path``: fcntl.LOCK_EX, or fcntl.LOCK_SH (many holders at once)."""
    with open(path, "a") as handle:
        fcntl.flock(handle, how)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _make_shared_run(base: Path) -> dict:
    """The whole default DAG of tiny.yaml (three datasets), every Python process audited."""
    from infantfer.demo import write_demo

    run = workdir_with_defaults(base / "run")
    write_demo(run / "folders", counts={"cry": 20, "laugh": 10, "neutral": 6}, size=32, seed=5)
    write_hostile_dataset(run / "data")
    config = tiny_config(run / "folders")
    config["datasets"][HOSTILE] = HOSTILE_SETTINGS
    (run / "tiny.yaml").write_text(yaml.safe_dump(config, sort_keys=False))  # arms keep their order
    env, _ = audit_env(base, local_run_env())
    env.pop("INFANTFER_GAN_STEP_TIMES")  # this run measures into its own .snakemake/, as a user's does
    before = {name: snapshot(run / name) for name in ("folders", "data")}
    start, cpu = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    # 3 jobs at a time on 2 cores: the run is the suite's longest chain, and beside the other
    # workers' tests more jobs get it more of the CPU (its jobs are single-threaded)
    result = run_snakemake(run, "--cores", "3", "--configfile", "tiny.yaml", env=env, check=False)
    seconds, after = time.monotonic() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    logs = sorted((run / ".snakemake" / "log").glob("*.snakemake.log"))
    return {"returncode": result.returncode, "output": f"{result.stdout[-3000:]}\n{result.stderr[-6000:]}",
            "seconds": seconds, "cpu": after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime,
            "listing": sorted(p.name for p in run.iterdir()), "datasets_before": before,
            "datasets_after": {name: snapshot(run / name) for name in ("folders", "data")},
            "log": logs[-1].read_text() if logs else ""}


@pytest.fixture(scope="session")
def shared_tiny_run(tmp_path_factory) -> SharedRun:
    """Made once per test session: under pytest-xdist the first worker that needs it runs it, in a
    folder all workers share, while the others wait on a file lock and then read its record."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    base = tmp_path_factory.getbasetemp().parent / "shared_run" if worker else tmp_path_factory.mktemp("shared_run")
    base.mkdir(exist_ok=True)
    record_file = base / "record.json"
    with _flock(base.parent / "shared_run.lock", fcntl.LOCK_EX):
        if not record_file.exists():  # a failed run is recorded too: it is not tried again
            record_file.with_suffix(".tmp").write_text(json.dumps(_make_shared_run(base)))
            record_file.with_suffix(".tmp").rename(record_file)
    record = json.loads(record_file.read_text())
    if record.pop("returncode") != 0:
        pytest.fail(f"the shared tiny run failed:\n{record['output']}", pytrace=False)
    del record["output"]
    return SharedRun(base=base, **record)


@pytest.fixture
def tiny_run(shared_tiny_run) -> SharedRun:
    """The shared finished run, for a test that reads it (results, logs, `snakemake -n` in it).
    Meanwhile no test changes it (:func:`tiny_run_to_change`). A long test that reads only at
    times takes ``shared_tiny_run`` and ``with shared_tiny_run.reading():`` around its reads."""
    with shared_tiny_run.reading():
        yield shared_tiny_run


@pytest.fixture
def tiny_run_to_change(shared_tiny_run) -> SharedRun:
    """The shared run for a test that writes in it and leaves it as it found it (same bytes, same
    times: a rerun that rewrites identical files, an edit put back), alone while it does."""
    with shared_tiny_run.changing():
        yield shared_tiny_run


# ------------------------------------------------------------------ data


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


# ------------------------------------------------------------------ the order files start in

# With pytest-xdist (`-n 3 --dist loadfile --no-loadscope-reorder`, pyproject.toml), files start in
# this order: the file that makes the shared tiny run (test_workflow.py) and the SLURM run (mostly
# waiting on SLURM) first, each on a worker of its own; the end-to-end files that need no shared run
# (each a minute or less); the unit tests, small files that fill the gaps; last the other readers of
# the shared run, which by then find it made or wait for it. In those, the tests on the shared run
# come first: xdist sends a worker its next file when two of its tests are left, so a worker waiting
# for the run keeps its other tests and the next file goes to a free worker. Otherwise pytest's order.
FIRST = ["test_workflow.py", "test_slurm.py", "test_kill_resume.py", "test_fixes_work.py", "test_plans.py"]
LAST = ["test_provenance.py", "test_reruns.py", "test_edits.py", "test_paths_audit.py"]


def pytest_collection_modifyitems(config, items):
    def rank(item):
        name = item.path.name
        if name in FIRST:
            return FIRST.index(name), 0
        if name in LAST:
            return len(FIRST) + 1 + LAST.index(name), 0 if "shared_tiny_run" in item.fixturenames else 1
        return len(FIRST), 0

    items.sort(key=rank)  # a stable sort
