"""Sharpness: mean gradient energy of images, and the real halves' baseline of its ratio; see
docs/design/gate.md, check 3."""

from __future__ import annotations

import numpy as np

__all__ = ["gradient_energy", "energy_ratio", "sharpness_baseline", "SHARPNESS_PERCENTILE",
           "SHARPNESS_BASELINE_RANGE", "noise_energy", "noise_ceiling", "NOISE_PERCENTILE", "NOISE_CEILING_RANGE"]

SHARPNESS_PERCENTILE = 5.0  # sharpness_baseline: this percentile of the real half-vs-half ratios
SHARPNESS_BASELINE_RANGE = (0.85, 1.0)  # ... clipped into this range (see docs/design/gate.md)
NOISE_PERCENTILE = 95.0  # noise_ceiling: this percentile of the real half-vs-half noise ratios
NOISE_CEILING_RANGE = (1.0, 1.2)  # ... clipped into this range
CONTRAST_FLOOR = 1.0  # grey levels: a flat image's contrast counts as this, not 0


def gradient_energy(x) -> np.ndarray:
    """(n,) mean gradient energy of each image: the mean absolute difference of horizontally and
    vertically neighbouring pixels (the two directions weighted equally), in grey levels.

    The L1 form of the gradient-based focus measures (Pertuz, Puig & Garcia 2013): blur and
    upsampling lower it, noise raises it. A constant image gives 0, a one-pixel checkerboard of
    0 and a gives a. Linear in contrast: k * x gives k times the energy. x: (n, H, W) or one
    (H, W) image; computed in float (uint8 differences would wrap around).
    """
    x = np.asarray(x, np.float64)
    if x.ndim == 2:
        x = x[None]
    n = len(x)
    dx = np.abs(np.diff(x, axis=2)).reshape(n, -1)
    dy = np.abs(np.diff(x, axis=1)).reshape(n, -1)
    # an image one pixel wide (or high) has no neighbours that way: that direction counts 0
    mx = dx.mean(axis=1) if dx.shape[1] else np.zeros(n)
    my = dy.mean(axis=1) if dy.shape[1] else np.zeros(n)
    return (mx + my) / 2


def energy_ratio(energy_a, energy_b) -> float:
    """Mean of energies a over mean of energies b (per-image :func:`gradient_energy` values).

    Scale-consistent: independent of the number of images in each sample and of a contrast
    factor applied to both. b flat (mean 0): 1.0 when a is flat too, else inf (a is sharper).
    """
    a, b = float(np.mean(energy_a)), float(np.mean(energy_b))
    if b == 0:
        return 1.0 if a == 0 else float("inf")
    return a / b


def sharpness_baseline(real_ratios) -> float:
    """The SHARPNESS_PERCENTILE-th percentile of real half-vs-half energy ratios, clipped into
    SHARPNESS_BASELINE_RANGE; the range's floor when there are no ratios (a class of one image).

    Ratios are capped at the ceiling first, so an infinite one (a flat half B) cannot turn the
    percentile's interpolation into NaN.
    """
    lo, hi = SHARPNESS_BASELINE_RANGE
    r = np.minimum(np.asarray(real_ratios, np.float64), hi)  # NaN stays NaN
    if not np.any(np.isfinite(r)):
        return lo
    return float(np.clip(np.nanpercentile(r, SHARPNESS_PERCENTILE), lo, hi))


def noise_energy(x) -> np.ndarray:
    """(n,) gradient energy of each image over its own contrast (the standard deviation of its
    grey levels, at least CONTRAST_FLOOR): high-frequency energy that contrast does not explain.

    Noise raises it (real demo faces plus Gaussian noise of sd 8: 1.4-1.7 times the real
    images'), a face of higher contrast does not (k * x gives the same value), so an upper limit
    on it rejects noisy sets without rejecting real faces that are merely crisper.
    """
    x = np.asarray(x, np.float64)
    if x.ndim == 2:
        x = x[None]
    contrast = np.maximum(x.reshape(len(x), -1).std(axis=1), CONTRAST_FLOOR)
    return gradient_energy(x) / contrast


def noise_ceiling(real_ratios) -> float:
    """The NOISE_PERCENTILE-th percentile of real half-vs-half noise ratios, clipped into
    NOISE_CEILING_RANGE; the range's top when there are no ratios (a class of one image)."""
    lo, hi = NOISE_CEILING_RANGE
    r = np.minimum(np.asarray(real_ratios, np.float64), hi)
    if not np.any(np.isfinite(r)):
        return hi
    return float(np.clip(np.nanpercentile(r, NOISE_PERCENTILE), lo, hi))
