"""What the gate fits once per real training fold (:func:`fit_reference`): the JS PCA and its
bins, the real halves and their baselines, the fidelity classifier and the copy reference."""

from __future__ import annotations

import functools
import logging
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from ..images import as_images, flat
from ..privacy import CopyReference, fit_copy_reference
from .divergence import bin_edges, bin_index, js_pca, pixel_histograms
from .settings import BASELINE_PERCENTILE, GateSettings, as_settings
from .sharpness import energy_ratio, gradient_energy, noise_ceiling, noise_energy, sharpness_baseline
from .two_sample import C2ST_DRAWS, c2st_auc, c2st_baseline, texture_auc, texture_features

__all__ = ["GateReference", "fit_reference", "half_size", "class_rng", "single_threaded", "FIDELITY_COMPONENTS",
           "MAX_CV_FOLDS"]

log = logging.getLogger(__package__)  # infantfer.gate, as when the gate was one module

FIDELITY_COMPONENTS = 30  # PCA components of the fidelity classifier (more than JS uses)
MAX_CV_FOLDS = 5


@dataclass
class GateReference:
    """Everything fitted once per real training fold (see :func:`fit_reference`)."""

    settings: GateSettings
    shape: tuple[int, int]
    classes: tuple[str, ...]
    n_real: dict[str, int]
    pca: PCA  # the JS PCA
    edges: np.ndarray  # (k, bins+1)
    real_bins: np.ndarray  # (N, k) bin index of every real image per component
    real_pixels: np.ndarray  # (N, PIXEL_BINS) grey-level counts per real image
    halves: dict[str, np.ndarray]  # class -> (n_draws, h) real half A of each draw (indices)
    real_vs_real: dict[str, np.ndarray]  # class -> (n_draws,) JS of half A vs half B
    js_real_baseline: dict[str, float]
    members: dict[str, np.ndarray]  # class -> indices of its real images
    real_images: np.ndarray  # (N, S, S) uint8, the real fold (for the C2ST)
    real_energy: np.ndarray  # (N,) gradient energy of every real image
    sharpness_real_vs_real: dict[str, np.ndarray]  # class -> (n_draws,) energy ratio A / B
    sharpness_baseline: dict[str, float]
    real_noise: np.ndarray  # (N,) gradient energy over contrast of every real image
    noise_real_vs_real: dict[str, np.ndarray]  # class -> (n_draws,) noise ratio A / B
    noise_ceiling: dict[str, float]
    c2st_real_vs_real: dict[str, np.ndarray]  # class -> (min(n_draws, C2ST_DRAWS),) AUC A vs B
    c2st_baseline: dict[str, float]
    real_texture: np.ndarray  # (N, F) HOG features of every real image
    texture_real_vs_real: dict[str, np.ndarray]  # class -> (min(n_draws, C2ST_DRAWS),) HOG AUC A vs B
    texture_baseline: dict[str, float]
    classifier: object  # fitted pipeline PCA -> StandardScaler -> LogisticRegression
    real_recall: dict[str, float]
    cv_folds: int
    copies: CopyReference  # the fold's probable-copy reference (infantfer.privacy)
    notes: list[str] = field(default_factory=list)


def single_threaded(fn):
    """Run fn with BLAS/OpenMP limited to one thread. The gate's matrices are small (hundreds of
    images), so threads only add overhead; on a busy machine much of it (one nearest-neighbour
    query: ~2 ms single-threaded, ~100 ms with 2 threads while another job held a core)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with threadpool_limits(limits=1):
            return fn(*args, **kwargs)

    return wrapper


def class_rng(seed: int, class_pos: int, stream: int) -> np.random.Generator:
    """Per class and purpose: a class's draws do not depend on which other classes are scored,
    and the generated draws are the same at every checkpoint (fair comparison across them)."""
    return np.random.default_rng([int(seed), int(class_pos), int(stream)])


def half_size(n_real: int) -> int:
    """Size of every compared sample for a class with n_real real images: n_real // 2, at least 1.

    Also the number of generated images worth drawing per class and checkpoint.
    """
    return max(1, int(n_real) // 2)


def _real_halves(idx: np.ndarray, n_draws: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(n_draws, h) halves A and B of a class's real indices (B empty when there is 1 image)."""
    h = half_size(len(idx))
    a = np.empty((n_draws, h), np.int64)
    b = np.empty((n_draws, h if len(idx) >= 2 else 0), np.int64)
    for d in range(n_draws):
        perm = rng.permutation(idx)
        a[d] = perm[:h]
        b[d] = perm[h : h + b.shape[1]]
    return a, b


def _classifier(n_samples: int, n_features: int, seed: int):
    """PCA -> standardise -> logistic regression; PCA size fitted to the samples at hand."""
    n_comp = int(max(1, min(FIDELITY_COMPONENTS, n_features, n_samples - 1)))
    return make_pipeline(
        PCA(n_components=n_comp, random_state=seed),
        StandardScaler(),  # PCA scores differ in scale by orders of magnitude
        LogisticRegression(max_iter=5000, random_state=seed),
    )


def _fit_classifier(x: np.ndarray, y: np.ndarray, groups, seed: int):
    """Fidelity classifier (fitted on the whole fold) and its cross-validated predictions."""
    smallest = int(pd.Series(y).value_counts().min())
    k = int(min(MAX_CV_FOLDS, max(2, smallest)))  # fewer folds when a class is small
    if groups is not None:
        k = min(k, len(np.unique(groups)))
        cv = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    else:
        cv = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    pred = np.empty_like(y)
    with warnings.catch_warnings():
        # a class with fewer than k images (down to 1) makes sklearn warn; its recall is then
        # coarse, which is what the fidelity margin is there to absorb
        warnings.filterwarnings("ignore", message=".*least populated class.*", category=UserWarning)
        for train, test in cv.split(x, y, groups):
            if len(np.unique(y[train])) < 2:  # a tiny fold lost every other class
                pred[test] = y[train][0]
                continue
            pred[test] = _classifier(len(train), x.shape[1], seed).fit(x[train], y[train]).predict(x[test])
    return _classifier(len(x), x.shape[1], seed).fit(x, y), pred, k


def _check_real(real_x, real_y, groups) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], np.ndarray | None]:
    """The real fold's images, labels (as str), classes and groups, checked."""
    x = as_images(real_x, "real_x", empty="keep")
    y = np.asarray(real_y).astype(str)
    if len(y) != len(x):
        raise ValueError(f"real_x has {len(x)} images but real_y {len(y)} labels")
    classes = tuple(sorted(np.unique(y)))
    if len(classes) < 2:
        raise ValueError("the gate needs real images of at least 2 classes (label fidelity)")
    if groups is not None:
        groups = np.asarray(groups)
        if len(groups) != len(y):
            raise ValueError("groups must have one entry per real image")
    return x, y, classes, groups


def _class_draws(x: np.ndarray, idx: np.ndarray, pos: int, real_bins: np.ndarray, real_energy: np.ndarray,
                 real_noise: np.ndarray, real_texture: np.ndarray, s: GateSettings) -> dict:
    """One class's real images (indices ``idx``, ``pos`` in the class order): its halves and the
    real-vs-real JS, sharpness and C2ST draws and baselines, keyed as GateReference's fields."""
    a, b = _real_halves(idx, s.n_draws, class_rng(s.seed, pos, 0))
    draws = range(s.n_draws)
    if b.shape[1] == 0:
        rvr = np.full(s.n_draws, np.nan)
        sharp_rvr = noise_rvr = np.full(s.n_draws, np.nan)
    else:
        rvr = np.array([js_pca(real_bins[a[d]], real_bins[b[d]], s.bins) for d in draws])
        sharp_rvr = np.array([energy_ratio(real_energy[a[d]], real_energy[b[d]]) for d in draws])
        noise_rvr = np.array([energy_ratio(real_noise[a[d]], real_noise[b[d]]) for d in draws])
    baseline = float(np.percentile(rvr, BASELINE_PERCENTILE)) if b.shape[1] else float("nan")
    sharp_base = sharpness_baseline(sharp_rvr)
    # the same halves; NaN (no baseline, C2ST not judged) when a half has < C2ST_FOLDS images
    c2st_rvr = np.array([c2st_auc(x[a[d]], x[b[d]], s.seed) for d in range(min(s.n_draws, C2ST_DRAWS))])
    c2st_base = c2st_baseline(c2st_rvr)
    texture_rvr = np.array([texture_auc(real_texture[a[d]], real_texture[b[d]], s.seed) for d in range(min(s.n_draws, C2ST_DRAWS))])
    return dict(n_real=len(idx), members=idx, halves=a, real_vs_real=rvr, js_real_baseline=baseline,
                sharpness_real_vs_real=sharp_rvr, sharpness_baseline=sharp_base, noise_real_vs_real=noise_rvr,
                noise_ceiling=noise_ceiling(noise_rvr), c2st_real_vs_real=c2st_rvr,
                c2st_baseline=c2st_base, texture_real_vs_real=texture_rvr, texture_baseline=c2st_baseline(texture_rvr))


def _notes(classes, n_real: dict, c2st_base: dict, min_images: int) -> list[str]:
    """What the gate cannot judge for lack of real images, logged and kept in the reference."""
    notes = [f"{c}: {n_real[c]} real images < min_images={min_images}, JS and C2ST not judged"
             for c in classes if n_real[c] < min_images]
    notes += [f"{c}: {n_real[c]} real images, too few for a C2ST baseline; C2ST not judged"
              for c in classes if n_real[c] >= min_images and not np.isfinite(c2st_base[c])]
    for note in notes:
        log.info("gate: %s", note)
    return notes


@single_threaded
def fit_reference(
    real_x: np.ndarray,
    real_y: np.ndarray,
    settings: GateSettings | dict | None = None,
    groups: np.ndarray | None = None,
) -> GateReference:
    """Fit everything the gate needs from one real training fold (never test images).

    real_x: uint8 greyscale (N, S, S); real_y: class per image (at least 2 classes).
    groups: optional baby id per image; when given, the real recall is cross-validated grouped by
    baby (as the folds themselves are), else stratified only.
    """
    s = as_settings(settings)
    x, y, classes, groups = _check_real(real_x, real_y, groups)
    xf = flat(x) / 255.0

    # JS: one PCA on the whole fold; real projections binned once, halves reuse them
    k = int(min(s.n_components, xf.shape[1], len(xf)))
    pca = PCA(n_components=k, random_state=s.seed).fit(xf)
    z = pca.transform(xf)
    edges = bin_edges(z, s.bins)
    real_bins = bin_index(z, edges)
    real_pixels = pixel_histograms(x)
    real_energy = gradient_energy(x)
    real_noise = noise_energy(x)
    real_texture = texture_features(x)

    per_class = [_class_draws(x, np.flatnonzero(y == c), pos, real_bins, real_energy, real_noise, real_texture, s)
                 for pos, c in enumerate(classes)]
    # field -> class -> value, in the class order
    fitted = {key: {c: draws[key] for c, draws in zip(classes, per_class)} for key in per_class[0]}

    clf, pred, folds = _fit_classifier(xf, y, groups, s.seed)
    recall = {c: float(np.mean(pred[y == c] == c)) for c in classes}

    copies = fit_copy_reference(x, seed=s.seed)  # infantfer.privacy's one definition of a copy
    notes = _notes(classes, fitted["n_real"], fitted["c2st_baseline"], s.min_images)
    return GateReference(
        settings=s, shape=tuple(x.shape[1:]), classes=classes, pca=pca, edges=edges, real_bins=real_bins,
        real_pixels=real_pixels, real_images=x, real_energy=real_energy, real_noise=real_noise, real_texture=real_texture,
        classifier=clf,
        real_recall=recall,
        cv_folds=folds, copies=copies, notes=notes, **fitted,
    )
