"""DiffAugment (Zhao et al. 2020), ported to explicit generators.

(Not to be confused with :mod:`infantfer.augment`, the workflow step that adds generated images to
an arm's training set: this module augments the batches the discriminator sees while the GAN trains.)

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
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F


def _rand(x: torch.Tensor, generator: torch.Generator, *shape: int) -> torch.Tensor:
    r = torch.rand(shape, generator=generator, device=generator.device)
    return r.to(device=x.device, dtype=x.dtype)


def _randint(x: torch.Tensor, generator: torch.Generator, low: int, high: int, *shape: int) -> torch.Tensor:
    r = torch.randint(low, high, shape, generator=generator, device=generator.device)
    return r.to(device=x.device)


def rand_brightness(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Add U(-0.5, 0.5) per image (images in [-1, 1])."""
    return x + (_rand(x, generator, x.size(0), 1, 1, 1) - 0.5)


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
