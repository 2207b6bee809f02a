"""The classifier two-sample tests (C2ST, Lopez-Paz & Oquab 2017) and their real halves' baselines:
on a PCA of the pixels (``c2st_auc``, check 4 of docs/design/gate.md) and, with power, on local
edges and texture (``texture_auc``: HOG and the power spectrum), reported beside it."""

from __future__ import annotations

import numpy as np
import sklearn
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .settings import BASELINE_PERCENTILE

__all__ = ["c2st_auc", "c2st_baseline", "texture_auc", "texture_features", "C2ST_COMPONENTS", "C2ST_FOLDS",
           "C2ST_DRAWS", "C2ST_BASELINE_FLOOR", "C2ST_POWER_ITERATIONS", "HOG_CELL", "TEXTURE_C"]

C2ST_COMPONENTS = 10  # PCA components of the two-sample classifier (capped by the sample sizes)
C2ST_FOLDS = 3  # stratified CV folds of the two-sample test; each sample needs this many images
C2ST_DRAWS = 5  # real half-vs-half draws for c2st_baseline: the first min(n_draws, C2ST_DRAWS)
C2ST_BASELINE_FLOOR = 0.5  # c2st_baseline is never below chance
C2ST_POWER_ITERATIONS = 2  # randomized PCA power iterations (sklearn's "auto" would use 7)


def c2st_auc(a, b, seed: int = 0) -> float:
    """Classifier two-sample test (Lopez-Paz & Oquab 2017): cross-validated ROC AUC of a
    classifier that separates sample a (label 0) from sample b (label 1).

    a, b: (n, ...) images or feature rows (flattened; scale does not matter, the classifier
    standardises). About 0.5 when both come from one distribution (slightly below on average:
    a held-out row is missing from its own side of the training data), 1 when they separate.
    Classifier: one sklearn pipeline, PCA (C2ST_COMPONENTS, at most the smaller sample's size
    and the number of features) -> StandardScaler -> LogisticRegression, refitted on each of
    C2ST_FOLDS stratified folds (shuffled by seed); the result is the mean of the folds' held-out
    ROC AUCs (sklearn's cross_val_score). NaN when a sample has fewer than C2ST_FOLDS rows.
    Cost: it runs for every class at every checkpoint, so the PCA is randomized with
    C2ST_POWER_ITERATIONS power iterations in float32 (the classifier needs a good 10-dimensional
    subspace, not exact components; Halko et al. 2011), the logistic regression uses the
    Newton-Cholesky solver (exact and fast with 10 features) and sklearn's finiteness and
    parameter checks are skipped (the inputs are grey levels). Together about a third faster
    than sklearn's defaults; the AUCs moved by < 0.01 on the demo faces. Most of what remains is
    sklearn's per-fit overhead (30-50 ms per call for 100-200 images a side on one core).
    """
    na, nb = len(a), len(b)
    if min(na, nb) < C2ST_FOLDS:
        return float("nan")
    x = np.concatenate([np.reshape(a, (na, -1)), np.reshape(b, (nb, -1))]).astype(np.float32)
    y = np.r_[np.zeros(na, np.int64), np.ones(nb, np.int64)]
    n_comp = int(min(C2ST_COMPONENTS, x.shape[1], na, nb))  # each training fold holds more
    model = make_pipeline(
        PCA(n_components=n_comp, svd_solver="randomized", iterated_power=C2ST_POWER_ITERATIONS,
            random_state=seed),
        StandardScaler(),
        LogisticRegression(solver="newton-cholesky", max_iter=1000),
    )
    cv = StratifiedKFold(n_splits=C2ST_FOLDS, shuffle=True, random_state=seed)
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        return float(np.mean(cross_val_score(model, x, y, cv=cv, scoring="roc_auc")))


def c2st_baseline(real_aucs: np.ndarray) -> float:
    """95th percentile of the real half-vs-half AUCs, at least C2ST_BASELINE_FLOOR; NaN without
    any (halves under C2ST_FOLDS images). The floor: cross-validated AUCs of two alike samples
    lean below 0.5 (a held-out image is missing from its own side of the training data), so a
    few draws can all fall below chance, and a baseline there would fail real images."""
    ok = np.isfinite(real_aucs)
    if not ok.any():
        return float("nan")
    return max(C2ST_BASELINE_FLOOR, float(np.percentile(real_aucs[ok], BASELINE_PERCENTILE)))



# ------------------------------------------------------------------ a two-sample test with power

HOG_CELL = 4  # pixels per HOG cell: a 16 px face is 4 x 4 cells (blocks of 2 x 2 cells, one cell apart)
HOG_ORIENTATIONS = 9
TEXTURE_C = 0.1  # the logistic regression's inverse regularisation on the standardised features


def _hog(images: np.ndarray) -> np.ndarray:
    """OpenCV's HOG over each whole image (its C++ is about ten times scikit-image's speed here)."""
    import cv2

    side = images.shape[1:][::-1]
    descriptor = cv2.HOGDescriptor(side, (2 * HOG_CELL, 2 * HOG_CELL), (HOG_CELL, HOG_CELL), (HOG_CELL, HOG_CELL),
                                   HOG_ORIENTATIONS)
    return np.stack([descriptor.compute(np.ascontiguousarray(img)).ravel() for img in images])


def _power_spectrum(images: np.ndarray) -> np.ndarray:
    """The radially averaged log power spectrum of each image (its mean removed): how much of its
    variation lies at each spatial frequency. Upsampling leaves energy at the highest ones (a
    transposed convolution's checkerboard), blur removes it, grain adds it."""
    f = images.astype(np.float64)
    power = np.abs(np.fft.fftshift(np.fft.fft2(f - f.mean(axis=(1, 2), keepdims=True)), axes=(1, 2))) ** 2
    side = images.shape[1]
    yy, xx = np.indices(images.shape[1:])
    radius = np.hypot(yy - side // 2, xx - images.shape[2] // 2).astype(int).ravel()
    counts = np.bincount(radius)
    return np.log1p(np.stack([np.bincount(radius, weights=p.ravel()) / counts for p in power]))


def texture_features(x) -> np.ndarray:
    """Local structure of uint8 greyscale images (n, S, S): histograms of oriented gradients
    (OpenCV; Dalal & Triggs 2005: 9 orientations in cells of 4 x 4 pixels, normalised in blocks of
    2 x 2 cells one cell apart, over the whole image) beside the radially averaged power spectrum. Edges, grain
    and upsampling traces, blind to overall brightness: what a PCA of the pixels (c2st_auc) misses,
    and what a GAN's failures change. Calibrated in tests/test_two_sample.py and benchmarks/README.md."""
    images = np.asarray(x)
    if images.ndim == 2:
        images = images[None]
    if not len(images):
        return np.zeros((0, 0), np.float32)
    return np.hstack([_hog(images), _power_spectrum(images)]).astype(np.float32)


def texture_auc(a_features: np.ndarray, b_features: np.ndarray, seed: int = 0) -> float:
    """The two-sample test on :func:`texture_features`: cross-validated ROC AUC (C2ST_FOLDS
    stratified folds) of standardise -> logistic regression (C = TEXTURE_C) separating sample a
    (0) from b (1); NaN when a sample has fewer than C2ST_FOLDS rows."""
    na, nb = len(a_features), len(b_features)
    if min(na, nb) < C2ST_FOLDS:
        return float("nan")
    x = np.concatenate([a_features, b_features])
    y = np.r_[np.zeros(na, np.int64), np.ones(nb, np.int64)]
    model = make_pipeline(StandardScaler(), LogisticRegression(C=TEXTURE_C, max_iter=2000))
    cv = StratifiedKFold(n_splits=C2ST_FOLDS, shuffle=True, random_state=seed)
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        return float(np.mean(cross_val_score(model, x, y, cv=cv, scoring="roc_auc")))
