"""This machine's time for one GAN training step, measured once per GAN shape and cached.

The cost of a run (:mod:`infantfer.cost`) is mostly its GANs' steps, and a step's time depends on
the CPU (its vector units, its memory), the torch build and the GAN's shape, far more than any
fitted formula can know. So the first plan that needs a shape times a few real training steps of
it (``infantfer.cgan.train._Trainer``, what ``train_cgan`` runs) on random images, on one thread
as a GAN job runs, in a child process so that Snakemake's own process loads no torch; it takes 2 to
10 s. The result is kept in ``.snakemake/infantfer/gan_step_times.json`` under this machine's
name (CPU model, core count, torch version, ``ATEN_CPU_CAPABILITY``), so another machine sharing
the folder measures its own (or in the file ``$INFANTFER_GAN_STEP_TIMES`` names).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .io.atomic import atomic_path
from .provenance import cpu_model

CACHE = Path(".snakemake") / "infantfer" / "gan_step_times.json"
CACHE_ENV = "INFANTFER_GAN_STEP_TIMES"  # another cache file: one for every project on this machine (the tests')
SHAPE_KEYS = ("size", "batch_size", "g_width", "d_width", "z_dim", "diffaugment", "r1_gamma", "precision", "class_norm")
WARMUP_STEPS = 2
MIN_TIMED_S = 2.0  # timed steps until this long (at least 3), so a 16 px step is timed ~50 times
TIMEOUT_S = 300


def machine_key() -> str:
    """What makes another machine's step time not this one's."""
    capability = os.environ.get("ATEN_CPU_CAPABILITY", "")
    return f"{cpu_model()} | {os.cpu_count()} cores | {_torch_version()}" + (f" | {capability}" if capability else "")


def _torch_version() -> str:
    try:
        from importlib.metadata import version

        return f"torch {version('torch')}"
    except Exception:  # noqa: BLE001 (any broken install: the key just says so)
        return "torch ?"


def shape_key(cgan: dict) -> str:
    """A later key at the value runs made before it had (the schema's ``x-absent-means``) is left
    out, so step times measured before it stay known."""
    from .gan_run import without_absent_keys

    return json.dumps({k: v for k, v in without_absent_keys(cgan).items() if k in SHAPE_KEYS}, sort_keys=True)


class GanStepTimes:
    """Seconds per GAN training step on one CPU thread of this machine, by GAN shape."""

    def __init__(self, path: str | Path | None = None, machine: str | None = None):
        self.path = Path(path or os.environ.get(CACHE_ENV) or CACHE)
        self.machine = machine or machine_key()
        try:
            self._all = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self._all = {}
        self._changed = False

    def known(self, cgan: dict) -> float | None:
        return self._all.get(self.machine, {}).get(shape_key(cgan))

    def seconds(self, cgan: dict, logger=None) -> float:
        """The cached step time of this shape, measured first if need be."""
        cached = self.known(cgan)
        if cached is not None:
            return cached
        if logger is not None:
            logger.info(f"Timing a GAN training step at {cgan['size']} px, batch {cgan['batch_size']} on one core of "
                        f"this machine, once (cached in {self.path})...")
        measured = measure_step_s(cgan)
        self._all.setdefault(self.machine, {})[shape_key(cgan)] = measured
        self._changed = True
        return measured

    def save(self) -> None:
        if not self._changed:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(self.path) as tmp:
            Path(tmp).write_text(json.dumps(self._all, indent=1, sort_keys=True))
        self._changed = False


def measure_step_s(cgan: dict) -> float:
    """Seconds per training step of a GAN of this shape, timed in a child process on one thread."""
    settings = {k: cgan[k] for k in SHAPE_KEYS if k in cgan}
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "infantfer.step_time", json.dumps(settings)], env=env,
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    if done.returncode != 0:
        raise RuntimeError(f"timing a GAN step failed ({sys.executable} -m infantfer.step_time): {done.stderr[-2000:]}")
    return float(done.stdout.strip().splitlines()[-1])


def cuda_visible() -> bool:
    """Whether torch sees a CUDA device here (asked in a child process: Snakemake's loads no torch)."""
    done = subprocess.run([sys.executable, "-c", "import torch; print(torch.cuda.is_available())"],
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    return done.returncode == 0 and done.stdout.strip().endswith("True")


def _time_in_this_process(settings: dict) -> float:
    import time

    import numpy as np
    import torch

    from .cgan import CGANConfig
    from .cgan.config import resolve_precision
    from .cgan.train import _Trainer

    torch.set_num_threads(1)
    cfg = CGANConfig(**{**settings, "device": "cpu"})
    bf16 = resolve_precision(cfg.precision, torch.device("cpu")) == "bf16"
    rng = np.random.default_rng(0)
    n = max(64, cfg.batch_size)
    x = torch.from_numpy(rng.uniform(-1, 1, (n, 1, cfg.size, cfg.size)).astype(np.float32))
    y = torch.from_numpy(np.arange(n) % 3)
    trainer = _Trainer(x, y, 3, cfg, torch.device("cpu"), amp_dtype=torch.bfloat16 if bf16 else None,
                       channels_last=True)
    for _ in range(WARMUP_STEPS):
        trainer.train_step()
    steps, start = 0, time.perf_counter()
    while steps < 3 or time.perf_counter() - start < MIN_TIMED_S:
        trainer.train_step()
        steps += 1
    return (time.perf_counter() - start) / steps


if __name__ == "__main__":
    print(_time_in_this_process(json.loads(sys.argv[1])))
