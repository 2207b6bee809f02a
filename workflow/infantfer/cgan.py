"""A class-conditional GAN for small greyscale faces, trained on a few hundred images.

Imports only torch, numpy and the standard library, so that it runs unchanged on a GPU machine
with its own Python and torch (no scikit-learn, imbalanced-learn, Snakemake, PIL or OpenCV).

Design (and where each piece comes from)
    Generator
        DCGAN-style (Radford, Metz & Chintala 2016, "Unsupervised Representation Learning with
        Deep Convolutional Generative Adversarial Networks", ICLR): z (``z_dim``) concatenated
        with a learned label embedding (``embed_dim``) -> linear -> ``start x start`` map ->
        ``n`` upsampling blocks (a 4x4 stride-2 transposed conv as in DCGAN, the default; or
        ``upsample="nearest"``: nearest-neighbour x2 + 3x3 conv, free of transposed-conv
        checkerboards (Odena, Dumoulin & Olah 2016) at about twice the compute), each with
        BatchNorm and ReLU -> 3x3 conv to one channel -> tanh. ``start = size / 2**n`` with the
        largest ``n`` that leaves ``start >= 4``: 4 for 16 (n=2), 32 (n=3) and 64 (n=4), 6 for
        48 (n=3); any multiple of 8 from 16 works.
        Channels: ``2 g_width`` at the start, ``g_width`` in between, ``g_width / 2`` at full size.
    Discriminator
        Projection discriminator (Miyato & Koyama 2018, "cGANs with Projection Discriminator",
        ICLR): ``D(x, y) = psi(h) + <embed(y), h>`` with ``h`` the sum-pooled features of a
        DCGAN-style stack of 4x4 stride-2 convs + LeakyReLU(0.2) (widths ``d_width * 2**j``,
        capped at ``4 d_width``). Spectral normalisation (Miyato, Kataoka, Koyama & Yoshida 2018,
        "Spectral Normalization for Generative Adversarial Networks", ICLR) on every conv, the
        linear head and the class embedding; no BatchNorm in D.
    Loss
        Hinge loss (Lim & Ye 2017, "Geometric GAN", arXiv:1705.02894):
        ``L_D = E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]``, ``L_G = -E[D(G(z))]``.
    DiffAugment
        Zhao, Liu, Lin, Zhu & Han 2020, "Differentiable Augmentation for Data-Efficient GAN
        Training", NeurIPS: the same random, differentiable augmentations are applied to real
        AND fake batches before D, in both the D and the G step, so that D cannot simply memorise
        a few hundred real images. The policy is a string such as ``"color,translation,cutout"``;
        :data:`DIFFAUGMENT` maps each name to small pure tensor functions ported from the authors'
        code, each taking ``(x, generator)`` and drawing its randomness from that explicit
        ``torch.Generator`` (training is then reproducible and resumable). ``color`` is brightness
        and contrast: the original's saturation step scales the distance of each pixel from its
        mean over the *channels*; with one channel that distance is 0, so it is the identity
        and is left out (it would only consume random numbers).
        The default policy is ``"translation,cutout"``, without ``color``: on the greyscale demo
        faces (230 images, 32 px, 300 steps) ``color`` collapsed the generator's diversity (mean
        per-pixel std over noise 6-8 grey levels against 30-37 in the real classes; 18-21 with
        ``translation,cutout``, 19-26 with no DiffAugment). Brightness and contrast are what tell
        greyscale faces apart (skin tone, lighting, background), and augmenting them away leaves
        D unable to see whether G varies them.
    EMA generator
        Images are drawn from an exponential moving average of the generator's weights (Yazici
        et al. 2019, "The Unusual Effectiveness of Averaging in GAN Training", ICLR; as in
        BigGAN/StyleGAN), buffers (BatchNorm statistics) copied. The decay at step t is
        ``min(ema_decay, (1 + t) / (10 + t))``: the warm-up keeps the random initial weights from
        dominating short runs; the default 0.99 averages over the last ~100 steps, which suits
        runs of a few hundred to a few thousand steps (0.999 would still remember the first
        hundreds of steps of a 300-step run).
    Sampling of real images
        Class-balanced by default (``balanced_sampling``): each real image of a batch has a
        uniformly drawn class, then a uniformly drawn image of that class. With 150/60/20 images
        per class the minority class is then seen as often as the majority, and the generator
        (whose class labels are drawn the same way) learns every class, which is what the
        oversampler needs. The price is that minority images are repeated more often, which
        DiffAugment is there to absorb. ``balanced_sampling=False`` draws images uniformly.
    Budget
        In generator steps (``steps``); each step is ``d_steps`` discriminator steps (each on a
        fresh real batch, fakes with the real batch's labels) and one generator step.
    Precision
        CUDA: bf16 autocast and channels_last. CPU: fp32, channels_last too (oneDNN's
        convolutions: 38 instead of 51 ms a step at 16 px, 734 instead of 902 ms at 48 px, on one
        core of the development VM).

Reproducibility and resuming
    Weights are initialised under a forked, seeded global RNG (identical on CPU and CUDA);
    minibatches, noise and augmentations come from three ``torch.Generator`` objects on the
    training device, seeded from ``config.seed``. A checkpoint (``step_{step:06d}.pt``, written
    atomically) holds G, D and EMA weights, both Adam states, all RNG states, the step, the
    config, ``n_classes``, the image normalisation and a hash of the training data, so a killed
    run resumed from its last checkpoint ends with bit-for-bit the same weights as an
    uninterrupted one on CPU (same thread count). Checkpoints load with ``weights_only=True``.
    Training runs with ``torch.use_deterministic_algorithms(True)`` (``deterministic``; on CUDA in
    warn-only mode) and restores the previous setting, thread count and global RNG afterwards.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import math
import os
import re
import struct
import time
import zlib
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm

from .io import atomic_path  # standard library only: the GAN stays torch + numpy

__all__ = [
    "CGANConfig", "Generator", "Discriminator", "build_models", "count_parameters",
    "DIFFAUGMENT", "parse_policy", "diff_augment",
    "rand_brightness", "rand_saturation", "rand_contrast", "rand_translation", "rand_cutout",
    "train_cgan", "list_checkpoints", "load_checkpoint", "generate", "save_sample_grid",
    "write_png", "CheckpointMismatchError",
]

_log = logging.getLogger("infantfer.cgan")
FORMAT_VERSION = "infantfer.cgan/1"
CHECKPOINT = re.compile(r"^step_(\d{6,})\.pt$")
# config keys that do not change the training trajectory: a resumed run may change them
RESUME_FREE_KEYS = frozenset({"steps", "checkpoint_every", "log_every", "device"})
NORM = {"scale": 127.5, "offset": -1.0}  # x_model = x_uint8 / scale + offset, in [-1, 1]


# --------------------------------------------------------------------------------------------
# configuration
# --------------------------------------------------------------------------------------------

@dataclass
class CGANConfig:
    """Everything that defines a training run. ``size=0`` means the training images' side."""

    size: int = 32
    z_dim: int = 64
    g_width: int = 64
    d_width: int = 32
    embed_dim: int = 32
    upsample: str = "convT"            # "convT" (4x4 stride-2 transposed conv) or "nearest" (+ 3x3 conv)
    batch_size: int = 64
    steps: int = 2000
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.0, 0.99)
    d_steps: int = 1
    ema_decay: float = 0.99
    diffaugment: str = "translation,cutout"   # "color" hides greyscale faces' main variation: see above
    balanced_sampling: bool = True
    checkpoint_every: int = 250
    log_every: int = 25
    deterministic: bool = True
    device: str = "auto"
    seed: int = 0

    def __post_init__(self):
        self.betas = tuple(float(b) for b in self.betas)
        if len(self.betas) != 2 or not all(0.0 <= b < 1.0 for b in self.betas):
            raise ValueError(f"betas must be two numbers in [0, 1), got {self.betas}")
        if self.size != 0:
            layout(self.size)
        for name in ("z_dim", "g_width", "d_width", "embed_dim", "batch_size", "steps", "d_steps"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.batch_size < 2:
            raise ValueError(f"batch_size must be >= 2, got {self.batch_size}")
        if self.checkpoint_every < 0 or self.log_every < 0:
            raise ValueError("checkpoint_every and log_every must be >= 0 (0: only at the end)")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1), got {self.ema_decay}")
        if self.upsample not in ("nearest", "convT"):
            raise ValueError(f"upsample must be 'nearest' or 'convT', got {self.upsample!r}")
        if not (self.device in ("auto", "cpu", "cuda") or re.fullmatch(r"cuda:\d+", self.device)):
            raise ValueError(f"device must be auto, cpu, cuda or cuda:N, got {self.device!r}")
        if self.lr_g <= 0 or self.lr_d <= 0:
            raise ValueError("learning rates must be > 0")
        parse_policy(self.diffaugment)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["betas"] = list(self.betas)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> CGANConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown CGANConfig key(s) {unknown}; known: {sorted(known)}")
        return cls(**d)


def layout(size: int) -> tuple[int, int]:
    """(number of x2 upsamplings n, start side) for an image side: the largest n with
    ``size / 2**n`` a whole number >= 4."""
    size = int(size)
    if size < 16 or size % 8:
        raise ValueError(f"size must be a multiple of 8 and >= 16, got {size}")
    n = 0
    while size % (2 ** (n + 1)) == 0 and size // 2 ** (n + 1) >= 4:
        n += 1
    return n, size // 2 ** n


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if os.environ.get("CUDA_VISIBLE_DEVICES", "") not in ("", "-1"):
            # a GPU was granted (SLURM's --gpus sets this) but this torch cannot use it: a CPU
            # build of torch, or a driver it does not match, or SLURM's fake GPU of the tests
            _log.warning(
                "device auto: CUDA_VISIBLE_DEVICES=%s but torch %s finds no CUDA device; training on "
                "CPU (install a CUDA build of torch on GPU nodes: see the README's \"Run on SLURM\")",
                os.environ["CUDA_VISIBLE_DEVICES"], torch.__version__)
        return torch.device("cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(
            f"device {device!r} was asked for but CUDA is not available to this torch "
            f"({torch.__version__}); use device 'auto' or 'cpu'")
    return torch.device(device)


# --------------------------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------------------------

def _g_channels(width: int, n: int) -> list[int]:
    return [max(4, c) for c in [2 * width] + [width] * (n - 1) + [width // 2]]


class Generator(nn.Module):
    """DCGAN-style conditional generator: (z, y) -> (B, 1, size, size) in [-1, 1]."""

    def __init__(self, n_classes: int, size: int = 32, z_dim: int = 64, width: int = 64,
                 embed_dim: int = 32, upsample: str = "convT"):
        super().__init__()
        n, start = layout(size)
        self.size, self.start, self.z_dim = size, start, z_dim
        self.channels = ch = _g_channels(width, n)
        self.embed = nn.Embedding(n_classes, embed_dim)
        self.fc = nn.Linear(z_dim + embed_dim, ch[0] * start * start, bias=False)
        self.bn0 = nn.BatchNorm2d(ch[0])
        layers: list[nn.Module] = []
        for j in range(n):
            if upsample == "nearest":
                layers += [nn.Upsample(scale_factor=2, mode="nearest"),
                           nn.Conv2d(ch[j], ch[j + 1], 3, padding=1, bias=False)]
            else:
                layers += [nn.ConvTranspose2d(ch[j], ch[j + 1], 4, stride=2, padding=1, bias=False)]
            layers += [nn.BatchNorm2d(ch[j + 1]), nn.ReLU(inplace=True)]
        self.blocks = nn.Sequential(*layers)
        self.out = nn.Conv2d(ch[-1], 1, 3, padding=1)

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.fc(torch.cat([z, self.embed(y)], dim=1))
        h = F.relu(self.bn0(h.view(-1, self.channels[0], self.start, self.start)))
        return torch.tanh(self.out(self.blocks(h)))


class Discriminator(nn.Module):
    """Projection discriminator with spectral norm: (x, y) -> (B,) real-valued scores."""

    def __init__(self, n_classes: int, size: int = 32, width: int = 32):
        super().__init__()
        n, _ = layout(size)
        ch = [1] + [min(4 * width, width * 2 ** j) for j in range(n)]
        layers: list[nn.Module] = []
        for j in range(n):
            layers += [spectral_norm(nn.Conv2d(ch[j], ch[j + 1], 4, stride=2, padding=1)),
                       nn.LeakyReLU(0.2)]
        self.features = nn.Sequential(*layers)
        self.linear = spectral_norm(nn.Linear(ch[-1], 1))
        self.embed = spectral_norm(nn.Embedding(n_classes, ch[-1]))

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.features(x).sum(dim=(2, 3))
        return self.linear(h).squeeze(1) + (self.embed(y) * h).sum(dim=1)


def build_models(config: CGANConfig, n_classes: int, seed: int | None = None) -> tuple[Generator, Discriminator]:
    """G and D on the CPU, initialised from a forked global RNG seeded with ``seed`` (default:
    derived from ``config.seed``), so the caller's RNG is untouched and CPU/CUDA runs start equal."""
    if config.size == 0:
        raise ValueError("config.size is 0 (the images' side): resolve it before building models")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(_sub_seed(config.seed, "init") if seed is None else seed)
        g = Generator(n_classes, config.size, config.z_dim, config.g_width, config.embed_dim, config.upsample)
        d = Discriminator(n_classes, config.size, config.d_width)
    return g, d


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _sub_seed(seed: int, name: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{int(seed)}:{name}".encode()).digest()[:8], "little") >> 1


# --------------------------------------------------------------------------------------------
# DiffAugment (Zhao et al. 2020), ported to explicit generators
# --------------------------------------------------------------------------------------------

def _rand(x: torch.Tensor, generator: torch.Generator, *shape: int) -> torch.Tensor:
    r = torch.rand(shape, generator=generator, device=generator.device)
    return r.to(device=x.device, dtype=x.dtype)


def _randint(x: torch.Tensor, generator: torch.Generator, low: int, high: int, *shape: int) -> torch.Tensor:
    r = torch.randint(low, high, shape, generator=generator, device=generator.device)
    return r.to(device=x.device)


def rand_brightness(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Add U(-0.5, 0.5) per image (images in [-1, 1])."""
    return x + (_rand(x, generator, x.size(0), 1, 1, 1) - 0.5)


def rand_saturation(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Identity for one channel: saturation scales each pixel's distance from its mean over the
    channels, which is 0 for a single channel. Kept so a policy list can name it; draws nothing."""
    return x


def rand_contrast(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Scale each image's distance from its mean by U(0.5, 1.5)."""
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (_rand(x, generator, x.size(0), 1, 1, 1) + 0.5) + mean


def rand_translation(x: torch.Tensor, generator: torch.Generator, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image by up to ``ratio`` of its side in x and y, filling with zeros."""
    b, _, h, w = x.shape
    sx, sy = int(h * ratio + 0.5), int(w * ratio + 0.5)
    tx = _randint(x, generator, -sx, sx + 1, b, 1, 1)
    ty = _randint(x, generator, -sy, sy + 1, b, 1, 1)
    gb, gx, gy = torch.meshgrid(torch.arange(b, device=x.device), torch.arange(h, device=x.device),
                                torch.arange(w, device=x.device), indexing="ij")
    gx = torch.clamp(gx + tx + 1, 0, h + 1)
    gy = torch.clamp(gy + ty + 1, 0, w + 1)
    x_pad = F.pad(x, [1, 1, 1, 1])
    return x_pad.permute(0, 2, 3, 1)[gb, gx, gy].permute(0, 3, 1, 2)


def rand_cutout(x: torch.Tensor, generator: torch.Generator, ratio: float = 0.5) -> torch.Tensor:
    """Zero one square of ``ratio`` of the side per image, at a random centre (may be clipped)."""
    b, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    ox = _randint(x, generator, 0, h + (1 - ch % 2), b, 1, 1)
    oy = _randint(x, generator, 0, w + (1 - cw % 2), b, 1, 1)
    # the original's clamped index grid covers rows [ox - ch//2, ox - ch//2 + ch) within the image
    rows = torch.arange(h, device=x.device).view(1, h, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, w)
    x0, y0 = ox - ch // 2, oy - cw // 2
    inside = (rows >= x0) & (rows < x0 + ch) & (cols >= y0) & (cols < y0 + cw)
    return x * (~inside).unsqueeze(1).to(x.dtype)


DIFFAUGMENT: dict[str, list[Callable[[torch.Tensor, torch.Generator], torch.Tensor]]] = {
    "color": [rand_brightness, rand_contrast],   # saturation: identity for one channel
    "translation": [rand_translation],
    "cutout": [rand_cutout],
}


def parse_policy(policy: str) -> list[str]:
    names = [p.strip() for p in (policy or "").split(",") if p.strip()]
    unknown = [p for p in names if p not in DIFFAUGMENT]
    if unknown:
        raise ValueError(f"unknown DiffAugment policy {unknown}; known: {sorted(DIFFAUGMENT)}")
    return names


def diff_augment(x: torch.Tensor, policy: str | list[str], generator: torch.Generator) -> torch.Tensor:
    """Apply every function of every policy name, in order, with randomness from ``generator``."""
    names = parse_policy(policy) if isinstance(policy, str) else policy
    for name in names:
        for fn in DIFFAUGMENT[name]:
            x = fn(x, generator)
    return x


# --------------------------------------------------------------------------------------------
# training
# --------------------------------------------------------------------------------------------

class _Trainer:
    """Models, optimisers, generators and one training step; used by train_cgan and the benchmark.

    x: float (N, 1, S, S) in [-1, 1] on ``device``; y: long (N,) on ``device``.
    """

    RNG_NAMES = ("data", "noise", "aug")

    def __init__(self, x: torch.Tensor, y: torch.Tensor, n_classes: int, cfg: CGANConfig,
                 device: torch.device, amp_dtype: torch.dtype | None = None, channels_last: bool = False):
        self.cfg, self.device, self.n_classes = cfg, device, n_classes
        self.amp_dtype = amp_dtype
        order = torch.argsort(y, stable=True)
        self.x, self.y = x[order], y[order]
        if channels_last:
            self.x = self.x.contiguous(memory_format=torch.channels_last)
        counts = torch.bincount(self.y, minlength=n_classes)
        offsets = torch.cumsum(counts, 0) - counts
        self.present = torch.nonzero(counts).flatten()
        self.class_counts, self.class_offsets = counts[self.present], offsets[self.present]
        g, d = build_models(cfg, n_classes)
        mf = torch.channels_last if channels_last else torch.contiguous_format
        self.G = g.to(device=device, memory_format=mf)
        self.D = d.to(device=device, memory_format=mf)
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=cfg.lr_g, betas=cfg.betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=cfg.lr_d, betas=cfg.betas)
        self.gens = {name: torch.Generator(device=device) for name in self.RNG_NAMES}
        for name, gen in self.gens.items():
            gen.manual_seed(_sub_seed(cfg.seed, name))
        self.policy = parse_policy(cfg.diffaugment)
        self.step = 0
        self.g_call: Callable = self.G   # the benchmark may swap in compiled versions
        self.d_call: Callable = self.D

    def _autocast(self):
        return torch.autocast(self.device.type, dtype=self.amp_dtype or torch.float32,
                              enabled=self.amp_dtype is not None)

    def _indices(self, b: int) -> torch.Tensor:
        gen = self.gens["data"]
        if not self.cfg.balanced_sampling:
            return torch.randint(0, len(self.y), (b,), generator=gen, device=self.device)
        k = torch.randint(0, len(self.present), (b,), generator=gen, device=self.device)
        u = torch.rand(b, generator=gen, device=self.device, dtype=torch.float64)
        count = self.class_counts[k]
        within = torch.minimum((u * count).long(), count - 1)
        return self.class_offsets[k] + within

    def _noise(self, b: int) -> torch.Tensor:
        return torch.randn(b, self.cfg.z_dim, generator=self.gens["noise"], device=self.device)

    def train_step(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``d_steps`` D steps and one G step (+ EMA). Returns the last (D loss, G loss), detached."""
        b = self.cfg.batch_size
        self.D.requires_grad_(True)
        for _ in range(self.cfg.d_steps):
            idx = self._indices(b)
            x_real, y_real = self.x[idx], self.y[idx]
            with torch.no_grad(), self._autocast():
                x_fake = self.g_call(self._noise(b), y_real)
            x = diff_augment(torch.cat([x_real, x_fake.to(x_real.dtype)]), self.policy, self.gens["aug"])
            with self._autocast():
                out = self.d_call(x, torch.cat([y_real, y_real])).float()
            loss_d = F.relu(1.0 - out[:b]).mean() + F.relu(1.0 + out[b:]).mean()
            self.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            self.opt_d.step()
        self.D.requires_grad_(False)
        y_fake = self.y[self._indices(b)]
        with self._autocast():
            x_fake = self.g_call(self._noise(b), y_fake)
        x_fake = diff_augment(x_fake.float(), self.policy, self.gens["aug"])
        with self._autocast():
            loss_g = -self.d_call(x_fake, y_fake).float().mean()
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        self._update_ema()
        self.step += 1
        return loss_d.detach(), loss_g.detach()

    @torch.no_grad()
    def _update_ema(self) -> None:
        t = self.step
        decay = min(self.cfg.ema_decay, (1.0 + t) / (10.0 + t))
        for pe, p in zip(self.G_ema.parameters(), self.G.parameters()):
            pe.lerp_(p, 1.0 - decay)
        for be, bb in zip(self.G_ema.buffers(), self.G.buffers()):
            be.copy_(bb)

    def state(self) -> dict:
        rng = {name: gen.get_state() for name, gen in self.gens.items()}
        rng["torch_cpu"] = torch.get_rng_state()
        rng["torch_cuda"] = torch.cuda.get_rng_state_all() if self.device.type == "cuda" else []
        return {
            "step": self.step,
            "G": self.G.state_dict(), "D": self.D.state_dict(), "G_ema": self.G_ema.state_dict(),
            "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(), "rng": rng,
        }

    def load(self, ck: dict) -> None:
        self.G.load_state_dict(ck["G"])
        self.D.load_state_dict(ck["D"])
        self.G_ema.load_state_dict(ck["G_ema"])
        self.opt_g.load_state_dict(ck["opt_g"])
        self.opt_d.load_state_dict(ck["opt_d"])
        for name, gen in self.gens.items():
            gen.set_state(ck["rng"][name].cpu())
        torch.set_rng_state(ck["rng"]["torch_cpu"].cpu())
        if self.device.type == "cuda" and ck["rng"]["torch_cuda"]:
            torch.cuda.set_rng_state_all([s.cpu() for s in ck["rng"]["torch_cuda"]])
        self.step = int(ck["step"])


class CheckpointMismatchError(ValueError):
    """The checkpoint directory holds a run made with other settings or other data."""


def _prepare_images(images: np.ndarray, size: int) -> tuple[torch.Tensor, dict]:
    arr = np.asarray(images)
    if arr.ndim != 3 or arr.shape[1] != arr.shape[2]:
        raise ValueError(f"images must be (N, S, S) greyscale, got shape {arr.shape}")
    if arr.dtype != np.uint8:
        if arr.size and (np.nanmin(arr) < 0 or np.nanmax(arr) > 255):
            raise ValueError("images must be uint8 or numbers in [0, 255]")
    x = torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32)).unsqueeze(1)
    source = arr.shape[1]
    x, how = _resize(x, size)
    x = x / NORM["scale"] + NORM["offset"]
    return x, {**NORM, "size": size, "source_size": int(source), "resize": how}


def _resize(x: torch.Tensor, size: int) -> tuple[torch.Tensor, str]:
    """(N, 1, S, S) float -> side ``size``: area when shrinking, bilinear when enlarging."""
    s = x.shape[-1]
    if s == size:
        return x, "none"
    if size < s:
        return F.interpolate(x, size=(size, size), mode="area"), "area"
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False), "bilinear"


def _data_hash(images: np.ndarray, labels: np.ndarray, n_classes: int) -> str:
    h = hashlib.sha256()
    arr = np.ascontiguousarray(images)
    h.update(f"{arr.dtype.str}{arr.shape}{n_classes}".encode())
    h.update(arr.tobytes())
    h.update(np.ascontiguousarray(labels, dtype=np.int64).tobytes())
    return h.hexdigest()


def _check_resume(ck: dict, path: Path, cfg: CGANConfig, n_classes: int, data_hash: str,
                  device: torch.device) -> None:
    problems = []
    if ck.get("format") != FORMAT_VERSION:
        problems.append(f"format {ck.get('format')!r}, expected {FORMAT_VERSION!r}")
    old, new = ck.get("config", {}), cfg.to_dict()
    for key in sorted((set(old) | set(new)) - RESUME_FREE_KEYS):
        if old.get(key, "<absent>") != new.get(key, "<absent>"):
            problems.append(f"{key}: {old.get(key, '<absent>')!r} in the checkpoint, {new.get(key, '<absent>')!r} now")
    if ck.get("n_classes") != n_classes:
        problems.append(f"n_classes: {ck.get('n_classes')} in the checkpoint, {n_classes} now")
    if ck.get("data_sha256") != data_hash:
        problems.append("the training images or labels differ from those the checkpoint was trained on")
    if ck.get("device_type") != device.type:
        problems.append(f"device: trained on {ck.get('device_type')}, now {device.type} "
                        "(random generator states cannot move between device types)")
    if problems:
        raise CheckpointMismatchError(
            f"checkpoint directory {path.parent} holds a CGAN run (latest {path.name}) made with "
            "other settings:\n  " + "\n  ".join(problems)
            + "\nFix: use another checkpoint_dir, delete this one to start afresh, or restore the settings.")


def _save_atomic(obj, path: Path) -> None:
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def _fmt_eta(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    seconds = int(round(seconds))
    return f"{seconds // 3600:d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def train_cgan(images: np.ndarray, labels: np.ndarray, n_classes: int, config: CGANConfig,
               checkpoint_dir: str | Path, logger: logging.Logger | None = None,
               threads: int | None = None) -> list[Path]:
    """Train (or resume) a class-conditional GAN; return the directory's checkpoints up to
    ``config.steps``, by step (the last one is the final state).

    images: uint8 (N, S, S), resized to ``config.size`` (area down, bilinear up) when S differs;
    ``config.size == 0`` means S. labels: ints in [0, n_classes). Classes without images are
    never drawn (warning). Checkpoints ``step_{step:06d}.pt`` (+ a sample grid ``.png``) every
    ``checkpoint_every`` steps and at ``config.steps``; an existing run in ``checkpoint_dir``
    continues from its latest checkpoint (CheckpointMismatchError if made with other settings).
    """
    log = logger or _log
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.ndim != 3:
        raise ValueError(f"images must be (N, S, S), got shape {images.shape}")
    if labels.shape != (len(images),):
        raise ValueError(f"labels must be ({len(images)},), got shape {labels.shape}")
    if len(images) == 0:
        raise ValueError("no training images")
    if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(f"labels must be integers in [0, {n_classes})")
    cfg = config
    if cfg.size == 0:
        cfg = CGANConfig.from_dict({**cfg.to_dict(), "size": int(images.shape[1])})
    device = resolve_device(cfg.device)
    ckdir = Path(checkpoint_dir)
    ckdir.mkdir(parents=True, exist_ok=True)
    for stale in ckdir.glob(".step_*.pt.tmp-*"):
        stale.unlink(missing_ok=True)
    absent = sorted(set(range(n_classes)) - set(np.unique(labels).tolist()))
    if absent:
        log.warning("cgan: class(es) %s have no training images: the generator never learns them", absent)
    data_hash = _data_hash(images, labels, n_classes)

    old_threads = torch.get_num_threads()
    old_det = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled())
    old_bench = torch.backends.cudnn.benchmark
    cuda_devices = [device.index if device.index is not None else torch.cuda.current_device()] \
        if device.type == "cuda" else []
    try:
        if threads:
            torch.set_num_threads(int(threads))
        if cfg.deterministic:
            torch.use_deterministic_algorithms(True, warn_only=device.type != "cpu")
            torch.backends.cudnn.benchmark = False
        with torch.random.fork_rng(devices=cuda_devices):
            _train(images, labels, n_classes, cfg, device, ckdir, data_hash, log)
    finally:
        torch.set_num_threads(old_threads)
        torch.use_deterministic_algorithms(old_det[0], warn_only=old_det[1])
        torch.backends.cudnn.benchmark = old_bench
    checkpoints = [p for p in list_checkpoints(ckdir) if _step_of(p) <= cfg.steps]
    if not checkpoints or _step_of(checkpoints[-1]) != cfg.steps:
        log.warning("cgan: %s went past step %d without a checkpoint there; returning the earlier ones",
                    ckdir, cfg.steps)
    return checkpoints


def _step_of(path: Path) -> int:
    return int(CHECKPOINT.match(path.name).group(1))


def _train(images, labels, n_classes, cfg, device, ckdir, data_hash, log) -> None:
    x, norm = _prepare_images(images, cfg.size)
    cuda = device.type == "cuda"
    # training draws nothing from the global RNG (forked by the caller); seed it anyway, so the
    # state a checkpoint stores is a function of the config (and a resume restores it)
    torch.default_generator.manual_seed(_sub_seed(cfg.seed, "torch"))
    if cuda:
        torch.cuda.manual_seed(_sub_seed(cfg.seed, "torch"))
    trainer = _Trainer(x.to(device), torch.as_tensor(labels, dtype=torch.long, device=device), n_classes,
                       cfg, device, amp_dtype=torch.bfloat16 if cuda else None, channels_last=True)
    existing = list_checkpoints(ckdir)
    if existing:
        ck = load_checkpoint(existing[-1])
        _check_resume(ck, existing[-1], cfg, n_classes, data_hash, device)
        trainer.load(ck)
        log.info("cgan: resuming from %s (step %d/%d)", existing[-1], trainer.step, cfg.steps)
    else:
        log.info("cgan: %d images, %d classes, %dx%d, G %d / D %d parameters, %d steps at batch %d on %s",
                 len(images), n_classes, cfg.size, cfg.size, count_parameters(trainer.G),
                 count_parameters(trainer.D), cfg.steps, cfg.batch_size, _device_name(device))
    if trainer.step >= cfg.steps:
        log.info("cgan: %s is already at step %d >= %d: nothing to train", ckdir, trainer.step, cfg.steps)
        return
    meta = {"format": FORMAT_VERSION, "config": cfg.to_dict(), "n_classes": int(n_classes),
            "classes_present": sorted(set(labels.tolist())), "norm": norm, "data_sha256": data_hash,
            "device_type": device.type, "torch_version": str(torch.__version__)}
    start_step, t0 = trainer.step, time.perf_counter()
    sum_d = sum_g = None
    n_avg = 0
    while trainer.step < cfg.steps:
        loss_d, loss_g = trainer.train_step()
        sum_d = loss_d if sum_d is None else sum_d + loss_d
        sum_g = loss_g if sum_g is None else sum_g + loss_g
        n_avg += 1
        step = trainer.step
        at_checkpoint = step == cfg.steps or (cfg.checkpoint_every and step % cfg.checkpoint_every == 0)
        if at_checkpoint or (cfg.log_every and step % cfg.log_every == 0):
            elapsed = time.perf_counter() - t0
            rate = (step - start_step) / elapsed if elapsed > 0 else float("nan")
            log.info("cgan step %d/%d  D loss %.4f  G loss %.4f  %.1f img/s  ETA %s",
                     step, cfg.steps, sum_d.item() / n_avg, sum_g.item() / n_avg,
                     rate * cfg.batch_size, _fmt_eta((cfg.steps - step) / rate if rate > 0 else float("nan")))
            sum_d = sum_g = None
            n_avg = 0
        if at_checkpoint:
            path = ckdir / f"step_{step:06d}.pt"
            _save_atomic({**meta, **trainer.state(), "losses": {"d": float(loss_d), "g": float(loss_g)}}, path)
            grid = _sample_grid(trainer.G_ema, n_classes, cfg.z_dim, 8, cfg.seed, device, norm)
            write_png(path.with_suffix(".png"), grid)
            log.info("cgan: checkpoint %s", path)


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return f"cpu ({torch.get_num_threads()} threads)"


# --------------------------------------------------------------------------------------------
# checkpoints and generation
# --------------------------------------------------------------------------------------------

def list_checkpoints(checkpoint_dir: str | Path) -> list[Path]:
    """``step_*.pt`` files of a directory, sorted by step ([] if the directory does not exist)."""
    d = Path(checkpoint_dir)
    if not d.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in d.iterdir() if (m := CHECKPOINT.match(p.name))]
    return [p for _, p in sorted(found)]


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> dict:
    """A checkpoint as a dict, loaded with ``weights_only=True``."""
    return torch.load(Path(path), map_location=device, weights_only=True)


def _generator_from_checkpoint(ck: dict, device: torch.device) -> Generator:
    cfg = CGANConfig.from_dict(ck["config"])
    g = Generator(ck["n_classes"], cfg.size, cfg.z_dim, cfg.g_width, cfg.embed_dim, cfg.upsample)
    g.load_state_dict(ck["G_ema"])
    return g.to(device).eval().requires_grad_(False)


@torch.no_grad()
def _sample(g: Generator, labels: np.ndarray, seed: int, device: torch.device, batch_size: int) -> torch.Tensor:
    """Float (N, 1, S, S) in model units, on the CPU. The noise is drawn on the CPU in one go, so
    the result does not depend on batch_size or the device's random generator."""
    labels = torch.as_tensor(np.asarray(labels), dtype=torch.long)
    z = torch.randn(len(labels), g.z_dim, generator=torch.Generator().manual_seed(int(seed)))
    out = [g(z[i:i + batch_size].to(device), labels[i:i + batch_size].to(device)).float().cpu()
           for i in range(0, len(labels), batch_size)]
    return torch.cat(out) if out else torch.zeros(0, 1, g.size, g.size)


def _to_uint8(x: torch.Tensor, norm: dict) -> np.ndarray:
    pixels = (x - norm["offset"]) * norm["scale"]
    return pixels.round().clamp(0, 255).to(torch.uint8)[:, 0].numpy()


def generate(checkpoint: str | Path, labels: np.ndarray, seed: int = 0, device: str = "auto",
             batch_size: int = 256, size: int | None = None) -> np.ndarray:
    """uint8 (len(labels), S, S) images of the given classes from the checkpoint's EMA generator.

    Same checkpoint, labels and seed: same images. ``size`` resizes (area down, bilinear up)
    from the model's side to another one, e.g. the faces' side."""
    dev = resolve_device(device)
    ck = load_checkpoint(checkpoint)
    labels = np.asarray(labels).reshape(-1)
    if labels.size and (not np.issubdtype(labels.dtype, np.integer)
                        or labels.min() < 0 or labels.max() >= ck["n_classes"]):
        raise ValueError(f"labels must be integers in [0, {ck['n_classes']})")
    missing = sorted(set(labels.tolist()) - set(ck.get("classes_present", range(ck["n_classes"]))))
    if missing:
        _log.warning("cgan: generating class(es) %s the generator never saw in training", missing)
    g = _generator_from_checkpoint(ck, dev)
    x = _sample(g, labels, seed, dev, max(1, int(batch_size)))
    if size is not None:
        if int(size) < 1:
            raise ValueError(f"size must be >= 1, got {size}")
        x, _ = _resize(x, int(size))
    return _to_uint8(x, ck.get("norm", NORM))


def _sample_grid(g: Generator, n_classes: int, z_dim: int, n_per_class: int, seed: int,
                 device: torch.device, norm: dict, pad: int = 2) -> np.ndarray:
    labels = np.repeat(np.arange(n_classes), n_per_class)
    imgs = _to_uint8(_sample(g, labels, seed, device, 256), norm)
    s = imgs.shape[-1]
    grid = np.zeros((pad + n_classes * (s + pad), pad + n_per_class * (s + pad)), dtype=np.uint8)
    for i, img in enumerate(imgs):
        r, c = divmod(i, n_per_class)
        grid[pad + r * (s + pad): pad + r * (s + pad) + s, pad + c * (s + pad): pad + c * (s + pad) + s] = img
    return grid


def save_sample_grid(checkpoint: str | Path, path: str | Path, n_per_class: int = 8, seed: int = 0) -> None:
    """A PNG with one row per class, ``n_per_class`` images each, from the EMA generator."""
    ck = load_checkpoint(checkpoint)
    g = _generator_from_checkpoint(ck, torch.device("cpu"))
    write_png(path, _sample_grid(g, ck["n_classes"], g.z_dim, n_per_class, seed, torch.device("cpu"),
                                 ck.get("norm", NORM)))


def write_png(path: str | Path, image: np.ndarray) -> None:
    """Write a 2-D uint8 array as an 8-bit greyscale PNG (stdlib only), atomically."""
    img = np.ascontiguousarray(image, dtype=np.uint8)
    if img.ndim != 2:
        raise ValueError(f"write_png needs a 2-D array, got shape {img.shape}")
    h, w = img.shape
    raw = np.hstack([np.zeros((h, 1), np.uint8), img]).tobytes()  # filter byte 0 per row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    with atomic_path(path) as tmp:
        tmp.write_bytes(png)
