"""A class-conditional GAN for small greyscale faces, trained on a few hundred images.

Imports only torch, numpy and the standard library, so that it runs unchanged on a GPU machine
with its own Python and torch (no scikit-learn, imbalanced-learn, Snakemake, PIL or OpenCV); of
the rest of infantfer it uses only :mod:`infantfer.io`'s atomic writes (standard library alone).

Modules, each with the design of its part and where it comes from:
    :mod:`~infantfer.cgan.config`       CGANConfig, the image side's layout, the device, seeds,
                                        the image normalisation, the checkpoint format
    :mod:`~infantfer.cgan.networks`     the DCGAN-style generator, the projection discriminator
    :mod:`~infantfer.cgan.diffaugment`  DiffAugment with explicit random generators (and why not
                                        ``color`` by default)
    :mod:`~infantfer.cgan.train`        hinge loss, EMA generator, class-balanced sampling, budget,
                                        precision; checkpoints, bit-exact resuming, :func:`train_cgan`
    :mod:`~infantfer.cgan.sample`       checkpoints read back, :func:`generate`, sample grids, PNGs

Everything public is importable from here (``from infantfer.cgan import train_cgan``). All log
records go to the logger ``infantfer.cgan``.
"""

from __future__ import annotations

from .diffaugment import (DIFFAUGMENT, diff_augment, parse_policy, rand_brightness, rand_contrast, rand_cutout,
                      rand_translation)
from .config import FORMAT_VERSION, NORM, RESUME_FREE_KEYS, CGANConfig, layout, resolve_device
from .networks import Discriminator, Generator, build_models, count_parameters
from .sample import (DamagedCheckpoint, UnsafeCheckpoint, generate, list_checkpoints, load_checkpoint,
                     save_sample_grid, write_png)
from .train import CheckpointMismatchError, TrainingStopped, train_cgan

__all__ = [
    "CGANConfig", "Generator", "Discriminator", "build_models", "count_parameters",
    "DIFFAUGMENT", "parse_policy", "diff_augment",
    "rand_brightness", "rand_contrast", "rand_translation", "rand_cutout",
    "train_cgan", "list_checkpoints", "load_checkpoint", "generate", "save_sample_grid",
    "write_png", "CheckpointMismatchError", "DamagedCheckpoint", "UnsafeCheckpoint",
    "layout", "resolve_device", "NORM", "FORMAT_VERSION", "RESUME_FREE_KEYS",
]
