"""fp32 against bf16 autocast, and channels_last against contiguous, for CPU GAN training steps.

The step ``train_cgan`` runs (``infantfer.cgan.train._Trainer.train_step``) on random images, on
one thread as a GAN job runs, for the shapes the workflow uses: the demo's (16 px, batch 32, G/D
32/32), the shipped defaults at 16, 32 and 48 px (batch 64, G/D 64/64; 16 px at batch 32 too).
Prints whether oneDNN has native bf16 here (what ``cgan.precision: auto`` follows), then one row
per shape: ms per step for each combination and the bf16 speed-up. Torch, numpy and the standard
library only:

    python benchmarks/cgan_precision_cpu.py [--seconds 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

try:
    from infantfer import cgan
except ImportError:  # a bare checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))
    from infantfer import cgan
from infantfer.cgan.config import cpu_bf16_native
from infantfer.cgan.train import _Trainer

SHAPES = [  # (name, size, batch, g_width, d_width)
    ("demo 16 px", 16, 32, 32, 32),
    ("defaults 16 px b32", 16, 32, 64, 64),
    ("defaults 32 px", 32, 64, 64, 64),
    ("defaults 48 px", 48, 64, 64, 64),
]


def step_ms(size, batch, g_width, d_width, bf16: bool, channels_last: bool, seconds: float) -> float:
    cfg = cgan.CGANConfig(size=size, batch_size=batch, g_width=g_width, d_width=d_width, device="cpu")
    rng = np.random.default_rng(0)
    n = max(128, batch)
    x = torch.from_numpy(rng.uniform(-1, 1, (n, 1, size, size)).astype(np.float32))
    y = torch.from_numpy(np.arange(n) % 3)
    trainer = _Trainer(x, y, 3, cfg, torch.device("cpu"), amp_dtype=torch.bfloat16 if bf16 else None,
                       channels_last=channels_last)
    for _ in range(3):
        trainer.train_step()
    steps, start = 0, time.perf_counter()
    while steps < 5 or time.perf_counter() - start < seconds:
        trainer.train_step()
        steps += 1
    return 1000 * (time.perf_counter() - start) / steps


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=3.0, help="timed seconds per cell (after 3 warm-up steps)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}, "
          f"oneDNN native bf16: {cpu_bf16_native()}, {args.threads} thread(s)")
    print("| shape | fp32 channels_last | fp32 contiguous | bf16 channels_last | bf16 contiguous | bf16 speed-up (channels_last) |")
    print("|---|---|---|---|---|---|")
    for name, size, batch, gw, dw in SHAPES:
        cells = {(p, cl): step_ms(size, batch, gw, dw, p == "bf16", cl, args.seconds)
                 for p in ("fp32", "bf16") for cl in (True, False)}
        print(f"| {name} | {cells['fp32', True]:.1f} | {cells['fp32', False]:.1f} | {cells['bf16', True]:.1f} | "
              f"{cells['bf16', False]:.1f} | {cells['fp32', True] / cells['bf16', True]:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
