"""Jensen-Shannon divergence of histograms: of PCA projections (``js_pca``) and of grey levels
(``js_pixels``); see docs/design/gate.md, check 1."""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import jensenshannon

__all__ = ["js_divergence", "bin_edges", "bin_index", "component_counts", "pixel_histograms", "js_pca",
           "PIXEL_BINS"]

PIXEL_BINS = 32  # grey-level histogram for js_pixels: 32 bins of 8 grey levels over 0-255


def js_divergence(p, q, axis: int = -1):
    """Jensen-Shannon divergence (log base 2, in [0, 1]) of histograms p and q along ``axis``.

    p and q may be counts: scipy normalises each. scipy returns the JS *distance*, the square root
    of the divergence, hence the square; the clip only removes floating-point spill past 1.
    """
    d = jensenshannon(np.asarray(p, np.float64), np.asarray(q, np.float64), base=2, axis=axis)
    return np.clip(np.square(d), 0.0, 1.0)


def bin_edges(z_real: np.ndarray, bins: int) -> np.ndarray:
    """(k, bins+1) equal-width edges per component, from the real projections' min to max."""
    lo, hi = z_real.min(axis=0), z_real.max(axis=0)
    flat = hi <= lo  # a constant component: give it a unit-wide range so edges stay increasing
    lo, hi = np.where(flat, lo - 0.5, lo), np.where(flat, hi + 0.5, hi)
    return np.linspace(lo, hi, bins + 1, axis=1)


def bin_index(z: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """(n, k) bin of each projection. Searching the *inner* edges only puts values below the
    first edge into bin 0 and above the last into the last bin: clipped, never lost."""
    k = edges.shape[0]
    out = np.empty((len(z), k), np.int64)
    for j in range(k):
        out[:, j] = np.searchsorted(edges[j, 1:-1], z[:, j], side="right")
    return out


def component_counts(idx: np.ndarray, bins: int) -> np.ndarray:
    """(k, bins) histogram counts per component from (n, k) bin indices (one bincount)."""
    k = idx.shape[1]
    flat = (idx + np.arange(k) * bins).ravel()
    return np.bincount(flat, minlength=k * bins).reshape(k, bins)


def pixel_histograms(x: np.ndarray) -> np.ndarray:
    """(n, PIXEL_BINS) grey-level counts per image; a sample's histogram is the sum of its rows."""
    n = len(x)
    idx = x.reshape(n, -1).astype(np.int64) * PIXEL_BINS // 256
    flat = (idx + np.arange(n)[:, None] * PIXEL_BINS).ravel()
    return np.bincount(flat, minlength=n * PIXEL_BINS).reshape(n, PIXEL_BINS)


def js_pca(bins_a: np.ndarray, bins_b: np.ndarray, bins: int) -> float:
    """Mean over components of the per-component histogram divergences of two samples."""
    a, b = component_counts(bins_a, bins), component_counts(bins_b, bins)
    return float(np.mean(js_divergence(a, b, axis=1)))

