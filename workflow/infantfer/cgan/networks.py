"""The generator and the discriminator.

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
        48 (n=3); any multiple of 8 from 16 works. ``class_norm``: every BatchNorm takes a gain and
        a bias per class instead of one (conditional BatchNorm: de Vries et al. 2017, "Modulating
        early visual processing by language", NeurIPS; the generators of Miyato & Koyama 2018 and
        BigGAN), so the class steers every layer, not the first alone. Its gains and biases are
        made before the layers after them, so at one seed those layers start from other weights
        than without it.
        Channels: ``2 g_width`` at the start, ``g_width`` in between, ``g_width / 2`` at full size.
    Discriminator
        Projection discriminator (Miyato & Koyama 2018, "cGANs with Projection Discriminator",
        ICLR): ``D(x, y) = psi(h) + <embed(y), h>`` with ``h`` the sum-pooled features of a
        DCGAN-style stack of 4x4 stride-2 convs + LeakyReLU(0.2) (widths ``d_width * 2**j``,
        capped at ``4 d_width``). Spectral normalisation (Miyato, Kataoka, Koyama & Yoshida 2018,
        "Spectral Normalization for Generative Adversarial Networks", ICLR) on every conv, the
        linear head and the class embedding; no BatchNorm in D.

Weights are initialised under a forked, seeded global RNG (:func:`build_models`), so they are
identical on CPU and CUDA and the caller's RNG is untouched.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm

from .config import CGANConfig, _sub_seed, layout


def _g_channels(width: int, n: int) -> list[int]:
    return [max(4, c) for c in [2 * width] + [width] * (n - 1) + [width // 2]]


class ClassBatchNorm2d(nn.Module):
    """BatchNorm whose gain and bias are looked up per class (starting at 1 and 0)."""

    def __init__(self, channels: int, n_classes: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.gain = nn.Embedding(n_classes, channels)
        self.bias = nn.Embedding(n_classes, channels)
        nn.init.ones_(self.gain.weight)
        nn.init.zeros_(self.bias.weight)

    def forward(self, h: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.norm(h) * self.gain(y)[:, :, None, None] + self.bias(y)[:, :, None, None]


class Generator(nn.Module):
    """DCGAN-style conditional generator: (z, y) -> (B, 1, size, size) in [-1, 1]."""

    def __init__(self, n_classes: int, size: int, z_dim: int, width: int,
                 embed_dim: int = 32, upsample: str = "convT", class_norm: bool = False):
        super().__init__()
        n, start = layout(size)
        self.size, self.start, self.z_dim, self.class_norm = size, start, z_dim, class_norm

        def norm(channels: int) -> nn.Module:
            return ClassBatchNorm2d(channels, n_classes) if class_norm else nn.BatchNorm2d(channels)

        self.channels = ch = _g_channels(width, n)
        self.embed = nn.Embedding(n_classes, embed_dim)
        self.fc = nn.Linear(z_dim + embed_dim, ch[0] * start * start, bias=False)
        self.bn0 = norm(ch[0])
        layers: list[nn.Module] = []
        for j in range(n):
            if upsample == "nearest":
                layers += [nn.Upsample(scale_factor=2, mode="nearest"),
                           nn.Conv2d(ch[j], ch[j + 1], 3, padding=1, bias=False)]
            else:
                layers += [nn.ConvTranspose2d(ch[j], ch[j + 1], 4, stride=2, padding=1, bias=False)]
            layers += [norm(ch[j + 1]), nn.ReLU(inplace=True)]
        self.blocks = nn.Sequential(*layers)
        self.out = nn.Conv2d(ch[-1], 1, 3, padding=1)

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.fc(torch.cat([z, self.embed(y)], dim=1)).view(-1, self.channels[0], self.start, self.start)
        if not self.class_norm:
            return torch.tanh(self.out(self.blocks(F.relu(self.bn0(h)))))
        h = F.relu(self.bn0(h, y))
        for layer in self.blocks:
            h = layer(h, y) if isinstance(layer, ClassBatchNorm2d) else layer(h)
        return torch.tanh(self.out(h))


class Discriminator(nn.Module):
    """Projection discriminator with spectral norm: (x, y) -> (B,) real-valued scores."""

    def __init__(self, n_classes: int, size: int, width: int):
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
        g = Generator(n_classes, config.size, config.z_dim, config.g_width, config.embed_dim, config.upsample,
                      config.class_norm)
        d = Discriminator(n_classes, config.size, config.d_width)
    return g, d


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
