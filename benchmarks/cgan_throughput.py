"""Throughput of full CGAN training steps (D step + G step + EMA, DiffAugment included).

Uses the very step ``train_cgan`` runs (``infantfer.cgan.train._Trainer.train_step``) on random images
of the default real-run model (``CGANConfig()`` with the given size), 3 classes. Prints one line
per configuration: device, size, batch, precision, compile, ms per step, img/s (batch / step
time), plus the device name and the FLOPs per image of one training step
(``torch.utils.flop_counter.FlopCounterMode``; convolutions and matmuls, forward + backward).

Imports only torch, numpy and the standard library (and ``infantfer.cgan``, found through
``workflow/`` when the package is not installed), so it runs on a bare GPU machine:

    python benchmarks/cgan_throughput.py                       # CPU (and CUDA when present)
    python benchmarks/cgan_throughput.py --device cuda --batches 64,1024 --steps 50 --compile
    python benchmarks/cgan_throughput.py --device cuda --cuda-graphs   # compile mode reduce-overhead

Defaults keep the CPU run to about a minute on 2 idle cores: 1 warm-up step, then 3 timed steps
(1 for batches over 128) per configuration; on CUDA 5 warm-up and 20 timed steps.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

try:
    from infantfer import cgan
except ImportError:  # a bare checkout on a GPU machine
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))
    from infantfer import cgan
from infantfer.cgan.train import _Trainer

N_CLASSES = 3
N_IMAGES = 512


def cpu_name() -> str:
    # infantfer.provenance.cpu_model's twin: this script runs where only torch and numpy are
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda: {torch.cuda.get_device_name(device)}"
    return f"cpu: {cpu_name()}, {torch.get_num_threads()} torch threads"


def make_trainer(size: int, batch: int, device: torch.device, precision: str, compile_mode: str | None):
    cfg = cgan.CGANConfig(size=size, batch_size=batch, device=device.type)
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.uniform(-1, 1, (N_IMAGES, 1, size, size)).astype(np.float32)).to(device)
    y = torch.from_numpy(np.arange(N_IMAGES) % N_CLASSES).to(device)
    trainer = _Trainer(x, y, N_CLASSES, cfg, device,
                       amp_dtype=torch.bfloat16 if precision == "bf16" else None,
                       channels_last=device.type == "cuda")
    if compile_mode:
        trainer.g_call = torch.compile(trainer.G, mode=compile_mode)
        trainer.d_call = torch.compile(trainer.D, mode=compile_mode)
    return trainer


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_steps(trainer, device: torch.device, steps: int, warmup: int) -> float:
    for _ in range(warmup):
        trainer.train_step()
    sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        trainer.train_step()
    sync(device)
    return (time.perf_counter() - t0) / steps


def flops_per_image(size: int, batch: int = 8) -> float:
    trainer = make_trainer(size, batch, torch.device("cpu"), "fp32", None)
    with FlopCounterMode(display=False) as counter:
        trainer.train_step()
    return counter.get_total_flops() / batch


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="auto", help="auto (cpu, and cuda when present), cpu or cuda")
    ap.add_argument("--size", default="48,32", help="image sides, comma-separated")
    ap.add_argument("--batches", default="64,1024", help="batch sizes, comma-separated")
    ap.add_argument("--precisions", default="fp32,bf16", help="fp32 and/or bf16 (autocast)")
    ap.add_argument("--steps", type=int, default=None,
                    help="timed steps per configuration (CUDA 20; CPU 3, 1 for batches over 128)")
    ap.add_argument("--warmup", type=int, default=None, help="untimed steps first (CPU 1, CUDA 5)")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    ap.add_argument("--compile", action="store_true", help="torch.compile G and D")
    ap.add_argument("--cuda-graphs", action="store_true",
                    help="CUDA only: torch.compile(mode='reduce-overhead'), which replays CUDA graphs")
    args = ap.parse_args(argv)

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device == "auto":
        devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    else:
        devices = [cgan.resolve_device(args.device)]
    sizes = [int(s) for s in args.size.split(",")]
    batches = [int(b) for b in args.batches.split(",")]
    precisions = [p.strip() for p in args.precisions.split(",")]
    print(f"torch {torch.__version__}, python {platform.python_version()}")
    for size in sizes:
        g, d = cgan.build_models(cgan.CGANConfig(size=size), N_CLASSES)
        print(f"model {size}x{size}: G {cgan.count_parameters(g):,} / D {cgan.count_parameters(d):,} parameters; "
              f"{flops_per_image(size) / 1e9:.3f} GFLOP per image per training step (D step + G step)")
    for device in devices:
        print(f"device {device_name(device)}")
        cuda = device.type == "cuda"
        mode = None
        if args.cuda_graphs and cuda:
            mode = "reduce-overhead"
        elif args.compile:
            mode = "default"
        warmup = args.warmup if args.warmup is not None else (5 if cuda else 1)
        for size in sizes:
            for batch in batches:
                steps = args.steps or (20 if cuda else 3 if batch <= 128 else 1)
                for precision in precisions:
                    trainer = make_trainer(size, batch, device, precision, mode)
                    try:
                        sec = time_steps(trainer, device, steps, warmup)
                    except Exception as exc:  # keep going: report the failure on its line
                        print(f"{device.type:4s} size {size:3d} batch {batch:5d} {precision:4s} "
                              f"compile {mode or 'no'}: FAILED {type(exc).__name__}: {exc}".splitlines()[0])
                        continue
                    print(f"{device.type:4s} size {size:3d} batch {batch:5d} {precision:4s} compile {mode or 'no':15s} "
                          f"{sec * 1000:9.1f} ms/step {batch / sec:10.1f} img/s  ({steps} steps)", flush=True)
                    del trainer
                    if cuda:
                        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
