"""The quality gate: which GAN checkpoint, if any, may add synthetic images of a class to a fold.

What it is for
    A class-conditional GAN is checkpointed at several "test iterations". At each checkpoint and
    for each class the gate compares the generated images with the *real training fold* (never
    with test images) and decides whether they are good enough to be added to that fold; across
    checkpoints it keeps, per class, the best passing one (the thesis' Table 3). A class whose
    generator never passes gets no synthetic images at all.

Context (measured outside this project, on a real infant set: 73-103 images per class, halves of
36-51 images, 5 PCA components x 10 bins, 20 draws). JS divergence over the PCA histograms:

    real half vs another real half          0.06-0.10
    uniform noise                           ~0.66
    mean face + noise                       ~0.70
    collapsed generator (copies of 3)       ~0.45
    SMOTE-like mixes                        0.10-0.14
    images of the *other* classes           0.08-0.11  (no worse than real vs real)

The grey-level histogram separates far less (real 0.007-0.009, noise ~0.07). So JS catches
garbage and mode collapse, but it is blind to a generator that ignores its label; and it needs
samples of a reasonable size: at 8 images a half even real vs real reaches ~0.45. It is blind to
blur as well: mean gradient energy (:func:`gradient_energy`) of a generated set relative to the
real images was

    GANs trained at the faces' own size     0.96-1.09  (must pass)
    real images blurred (Gaussian 1.5 px)   ~0.45      (must fail; JS and fidelity pass them)
    real images down- then up-sampled x2    ~0.49      (must fail)
    a GAN trained at 16 px, upsampled to 32 0.53-0.75  (must fail)

Hence several checks, not one.

The checks (per class c, one checkpoint)
    1. Distribution - Jensen-Shannon divergence (Lin 1991), log base 2, so in [0, 1].
       ``js_pca``: PCA (``n_components``, fitted once on the whole real training fold, all
       classes) projects every image; per component, a histogram of ``bins`` equal-width bins
       whose edges run from the real fold's minimum to its maximum projection on that
       component (all classes). Values outside those edges (generated images are free to go
       there) are clipped into the two outer bins, never dropped. The divergence of a sample
       pair is the mean over components. Samples are always of equal size h = n_real // 2
       (:func:`half_size`): in each of ``n_draws`` draws the real images of c are split into two
       random halves A and B; A vs B gives the real-vs-real spread and ``js_real_baseline`` is
       its 95th percentile; h generated images (drawn without replacement; all of them, with a
       warning, when fewer were generated) vs A gives one generated-vs-real value and
       ``js_pca`` is their mean. The real halves are drawn once per fold and the generated draws
       are seeded per class, so every checkpoint is compared against the same halves.
       ``js_pixels`` is the thesis' simplest form, the divergence of the grey-level histograms
       (32 bins over 0-255, all pixels of a sample), averaged over the same draws; reported only.
       ``js_ok``: ``js_pca <= js_real_baseline + js_margin``.
    2. Label fidelity (Shmelkov, Schmid & Alahari, ECCV 2018, "How good is my GAN?"): a simple
       classifier fitted on the real training fold (PCA of the pixels, up to 30 components ->
       standardise -> logistic regression) labels the generated images of c.
       ``label_agreement`` is the share predicted as c; ``real_recall`` is the same classifier's
       cross-validated recall on the real images of c (stratified k-fold, k = min(5, smallest
       class), grouped by baby when groups are given). A generator that ignores its label fails
       here even when its images look like real faces.
       ``fidelity_ok``: ``label_agreement >= real_recall - fidelity_margin``.
    3. Sharpness: ``sharpness_ratio`` is the mean gradient energy (:func:`gradient_energy`: mean
       absolute difference of horizontally and vertically neighbouring pixels, the L1 form of the
       gradient focus measures reviewed by Pertuz, Puig & Garcia 2013) of the generated images
       of c divided by that of the real training images of c (:func:`energy_ratio`). Blur and
       upsampling remove the fine detail that the histograms of a few PCA components never see.
       ``sharpness_baseline``: in each of the JS draws, the energy of half A over that of half B;
       the 5th percentile of those ``n_draws`` ratios, clipped into [0.85, 1]
       (:func:`sharpness_baseline`). ``sharpness_ok``: ``sharpness_ratio >= sharpness_baseline -
       sharpness_margin``. One-sided on purpose: images *sharper* than the real ones (noise)
       pass here and fail JS.
       It judges every class, also below ``min_images``: a mean over a dozen images is steady
       where a histogram of 6 is not (demo faces, 32 px, same babies: 12-20 real images against
       as many others of their class gave ratios of 0.78 at the lowest, 5th percentiles of
       0.83-0.93). But the 5th percentile over halves of 6 scatters (0.65-0.91), and minus the
       margin its low end would let a 2x down-up (0.54-0.71) through; the floor of 0.85 keeps
       every threshold at 0.75 or more. A class of one image has no halves: the floor. The ceiling of 1 keeps a
       lucky draw from asking for images sharper than the real ones.
       Default ``sharpness_margin`` 0.1, measured on the demo faces (seed 0, 32 and 24 px,
       classes of 89-130 training images). Baselines of the held-back split of tests/test_gate.py:
       0.91-0.95 (thresholds 0.81-0.85); over 10 random same-baby splits per size: 0.86-0.97, and
       the held-out real half never fell more than 0.015 below its baseline. Every must-fail
       figure above stays under every threshold (demo: blurred 1.5 px 0.45-0.55, down-up x2
       0.54-0.71) and the lowest must-pass one (0.96) above. Real images of *other* babies
       scored 0.86-1.05 (the demo babies differ in noise and blur), so a much smaller margin
       would reject real faces. Blurred 0.5 px: 0.70-0.91, rejected for neutral only.
    4. Classifier two-sample test (C2ST; Lopez-Paz & Oquab, ICLR 2017): :func:`c2st_auc`, the
       3-fold cross-validated ROC AUC of PCA (10 components) -> standardise -> logistic
       regression separating the real training images of c from as many generated images of c
       (all of them when fewer; drawn seeded per class, as for JS). About 0.5 when the two are
       alike, 1 when they separate. ``c2st_baseline``: the same test on real half A vs real
       half B of the first min(n_draws, 5) JS draws, 95th percentile, at least 0.5 (cross-
       validated AUCs of alike samples lean below chance, more so when images come in clusters
       such as babies: one demo class drew 5 values of 0.34-0.46). ``c2st_ok``: ``c2st_auc <=
       c2st_baseline + c2st_margin``. Reported always, deciding only when in ``criteria``.
       The halves are smaller than the real-vs-generated samples, so the baseline is wider than
       the test's own spread; default ``c2st_margin`` 0.1 (demo, 10 random same-baby splits x 2
       sizes: baselines 0.53-0.71, the held-out real half's AUC at most 0.04 above its baseline,
       0.07-0.10 below on average; real images of other babies: 0.55-0.71, within baseline +
       margin). A linear classifier on 10 components sees coarse differences: on the demo it
       rejects 1.5 px blur for cry and laugh (AUC 0.82-0.95) but neutral only at 24 px (0.79;
       0.75 at 32 px passes), and a 2x down-up (0.70-0.78) only in 3 of 6 cases; sharpness is
       the check for blur.
    5. Copies (:mod:`infantfer.privacy`, the one definition of a probable copy): ``copy_share``
       is the share of generated images closer to their nearest real training image of the
       fold, in pixels or in a PCA of the fold, than the 1st percentile of the real images'
       leave-one-out nearest-neighbour distances; ``copy_share_pixels`` and
       ``copy_share_features`` per space. A set above ``max_copy_share`` (the schema's
       ``privacy.max_copy_share``) never passes, whatever the criteria: ``copy_ok``.

The rule
    ``criteria`` names the checks that decide (default js, fidelity, sharpness; ("js",) is the
    published gate alone, ("js", "fidelity") the gate before sharpness). A class passes at a
    checkpoint when every deciding check that judges it passes, and at least one does (with
    ("js",) or ("c2st",) alone, a class below ``min_images`` never passes). Every check is
    always computed and its own verdict reported (``js_ok``, ``fidelity_ok``, ``sharpness_ok``,
    ``c2st_ok``), whether or not it decides or judges. With fewer than ``min_images`` real
    images of c, JS and the C2ST are still reported but do not judge (``js_judged`` is False;
    halves that small diverge even when both are real); the C2ST does not judge either while it
    has no baseline (fewer than 6 real images: 3-fold CV needs 3 images a side). Fidelity and
    sharpness judge every class. Across checkpoints (:func:`choose`) each class keeps the passing checkpoint with
    the lowest ``js_pca`` (classes not judged by JS: the highest ``label_agreement``; ties go to
    the later checkpoint). Everything is deterministic given ``seed``.

Sources
    J. Lin (1991). Divergence measures based on the Shannon entropy. IEEE Trans. Inf. Theory 37(1).
    K. Shmelkov, C. Schmid, K. Alahari (2018). How good is my GAN? ECCV.
    S. Pertuz, D. Puig, M. A. Garcia (2013). Analysis of focus measure operators for
        shape-from-focus. Pattern Recognition 46(5).
    D. Lopez-Paz, M. Oquab (2017). Revisiting classifier two-sample tests. ICLR.
    N. Halko, P.-G. Martinsson, J. A. Tropp (2011). Finding structure with randomness. SIAM
        Review 53(2) (randomized PCA; a few power iterations suffice for a fast-decaying spectrum).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import sklearn
from scipy.spatial.distance import jensenshannon
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from .privacy import CopyReference, copy_audit, copy_rejected, fit_copy_reference

if TYPE_CHECKING:  # pragma: no cover
    from .io import TrainingSet

__all__ = [
    "GateSettings",
    "GateReference",
    "as_settings",
    "half_size",
    "js_divergence",
    "bin_edges",
    "bin_index",
    "component_counts",
    "pixel_histograms",
    "gradient_energy",
    "energy_ratio",
    "sharpness_baseline",
    "c2st_auc",
    "fit_reference",
    "score_checkpoint",
    "choose",
    "COLUMNS",
    "CRITERIA",
]

log = logging.getLogger(__name__)

PIXEL_BINS = 32  # grey-level histogram for js_pixels: 32 bins of 8 grey levels over 0-255
FIDELITY_COMPONENTS = 30  # PCA components of the fidelity classifier (more than JS uses)
BASELINE_PERCENTILE = 95.0  # js_real_baseline: this percentile of the real-vs-real draws
MAX_CV_FOLDS = 5
SHARPNESS_PERCENTILE = 5.0  # sharpness_baseline: this percentile of the real half-vs-half ratios
SHARPNESS_BASELINE_RANGE = (0.85, 1.0)  # ... clipped into this range (see the module docstring)
C2ST_COMPONENTS = 10  # PCA components of the two-sample classifier (capped by the sample sizes)
C2ST_FOLDS = 3  # stratified CV folds of the two-sample test; each sample needs this many images
C2ST_DRAWS = 5  # real half-vs-half draws for c2st_baseline: the first min(n_draws, C2ST_DRAWS)
C2ST_BASELINE_FLOOR = 0.5  # c2st_baseline is never below chance
C2ST_POWER_ITERATIONS = 2  # randomized PCA power iterations (sklearn's "auto" would use 7)

CRITERIA = ("js", "fidelity", "sharpness", "c2st")  # the checks a GateSettings.criteria may name

COLUMNS = [
    "class",
    "n_real",
    "n_generated",
    "js_pca",
    "js_pixels",
    "js_real_baseline",
    "js_judged",
    "label_agreement",
    "real_recall",
    "copy_share",
    "copy_share_pixels",
    "copy_share_features",
    "sharpness_ratio",
    "sharpness_baseline",
    "c2st_auc",
    "c2st_baseline",
    "js_ok",
    "fidelity_ok",
    "sharpness_ok",
    "c2st_ok",
    "copy_ok",
    "passed",
]
_VERDICTS = ["js_judged", "js_ok", "fidelity_ok", "sharpness_ok", "c2st_ok", "copy_ok", "passed"]


@dataclass(frozen=True)
class GateSettings:
    """Settings of the gate (a plain dict with these keys is accepted too, see :func:`as_settings`).

    n_components: PCA components whose histograms JS compares (fitted on the real training fold).
    bins: histogram bins per component (equal width between the real fold's min and max).
    n_draws: random real halves drawn per class (baseline and generated-vs-real both use them).
    js_margin: allowed excess of js_pca over js_real_baseline (the 95th percentile real-vs-real).
    fidelity_margin: allowed shortfall of label_agreement below the classifier's real recall.
    sharpness_margin: allowed shortfall of sharpness_ratio below sharpness_baseline (0.1: chosen
        on the demo faces, see the module docstring).
    c2st_margin: allowed excess of c2st_auc over c2st_baseline.
    min_images: below this many real images of a class, JS and the C2ST are not judged
        (>= 2; the default 16 gives halves of 8, where even real vs real reaches ~0.45).
    criteria: the checks that decide, some of CRITERIA (a list, e.g. from YAML, or a single
        name is accepted and stored as a tuple); ("js",) is the published gate alone,
        ("js", "fidelity") the gate before sharpness. The others are reported only.
    max_copy_share: a set whose share of probable copies of training images is above this never
        passes (None: reported only); the schema's privacy.max_copy_share.
    seed: seeds the PCA, the classifiers, the CV folds and every random draw.
    """

    n_components: int = 5
    bins: int = 10
    n_draws: int = 20
    js_margin: float = 0.05
    fidelity_margin: float = 0.15
    sharpness_margin: float = 0.1
    c2st_margin: float = 0.1
    min_images: int = 16
    criteria: tuple[str, ...] = ("js", "fidelity", "sharpness")
    max_copy_share: float | None = 0.25
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("n_components", "bins", "n_draws"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"GateSettings.{name} must be >= 1")
        if int(self.min_images) < 2:
            raise ValueError("GateSettings.min_images must be >= 2 (a baseline needs two halves)")
        if min(self.js_margin, self.fidelity_margin, self.sharpness_margin, self.c2st_margin) < 0:
            raise ValueError("GateSettings margins must be >= 0")
        criteria = self.criteria
        if isinstance(criteria, str):
            criteria = (criteria,)
        try:
            criteria = tuple(dict.fromkeys(criteria))  # duplicates dropped, order kept
        except TypeError:
            raise ValueError(f"GateSettings.criteria must be a list of names from {list(CRITERIA)}") from None
        unknown = [c for c in criteria if c not in CRITERIA]
        if unknown or not criteria:
            raise ValueError(
                f"GateSettings.criteria: unknown {unknown}; name at least one of {list(CRITERIA)}"
                if unknown else f"GateSettings.criteria is empty; name at least one of {list(CRITERIA)}"
            )
        object.__setattr__(self, "criteria", criteria)  # frozen: a list from YAML becomes a tuple


# Settings fixed by fit_reference: scoring with other values would mismatch the fitted state.
_FITTED = ("n_components", "bins", "n_draws", "seed")


def as_settings(settings: GateSettings | dict | None) -> GateSettings:
    """GateSettings from a GateSettings, a dict of (some of) its keys, or None (defaults).

    A dict may come straight from a YAML config: a ``criteria`` list becomes a tuple, an
    unknown criterion or key raises ValueError.
    """
    if settings is None:
        return GateSettings()
    if isinstance(settings, GateSettings):
        return settings
    known = {f.name for f in dataclasses.fields(GateSettings)}
    unknown = set(settings) - known
    if unknown:
        raise ValueError(f"unknown gate settings {sorted(unknown)}; expected some of {sorted(known)}")
    return GateSettings(**settings)


def half_size(n_real: int) -> int:
    """Size of every compared sample for a class with n_real real images: n_real // 2, at least 1.

    Also the number of generated images worth drawing per class and checkpoint.
    """
    return max(1, int(n_real) // 2)


# --------------------------------------------------------------------------- pure helpers
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


def _c2st_baseline(real_aucs: np.ndarray) -> float:
    """95th percentile of the real half-vs-half AUCs, at least C2ST_BASELINE_FLOOR; NaN without
    any (halves under C2ST_FOLDS images). The floor: cross-validated AUCs of two alike samples
    lean below 0.5 (a held-out image is missing from its own side of the training data), so a
    few draws can all fall below chance, and a baseline there would fail real images."""
    ok = np.isfinite(real_aucs)
    if not ok.any():
        return float("nan")
    return max(C2ST_BASELINE_FLOOR, float(np.percentile(real_aucs[ok], BASELINE_PERCENTILE)))


def _as_images(x, name: str, shape: tuple[int, int] | None = None) -> np.ndarray:
    """uint8 (n, S, S); other numbers are rounded and clipped to 0-255 (a generator's output)."""
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"{name} must be greyscale images (n, S, S); got shape {x.shape}")
    if shape is not None and x.shape[1:] != tuple(shape) and len(x):
        raise ValueError(f"{name} images are {x.shape[1:]}, the real fold's are {tuple(shape)}")
    if x.dtype != np.uint8:
        f = x.astype(np.float64)
        if f.size and f.min() >= 0 and f.max() <= 1 and np.any(f != np.rint(f)):
            # rounding [0, 1] floats to grey levels would silently give black images
            raise ValueError(f"{name} looks scaled to [0, 1]; pass grey levels 0-255")
        x = np.clip(np.rint(f), 0, 255).astype(np.uint8)
    return x


def _flat(x: np.ndarray) -> np.ndarray:
    return x.reshape(len(x), -1).astype(np.float64)


def _rng(seed: int, class_pos: int, stream: int) -> np.random.Generator:
    """Per class and purpose: a class's draws do not depend on which other classes are scored,
    and the generated draws are the same at every checkpoint (fair comparison across them)."""
    return np.random.default_rng([int(seed), int(class_pos), int(stream)])


# --------------------------------------------------------------------------- reference
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
    c2st_real_vs_real: dict[str, np.ndarray]  # class -> (min(n_draws, C2ST_DRAWS),) AUC A vs B
    c2st_baseline: dict[str, float]
    classifier: object  # fitted pipeline PCA -> StandardScaler -> LogisticRegression
    real_recall: dict[str, float]
    cv_folds: int
    copies: CopyReference  # the fold's probable-copy reference (infantfer.privacy)
    notes: list[str] = field(default_factory=list)


def _single_threaded(fn):
    """Run fn with BLAS/OpenMP limited to one thread. The gate's matrices are small (hundreds of
    images), so threads only add overhead; on a busy machine much of it (one nearest-neighbour
    query: ~2 ms single-threaded, ~100 ms with 2 threads while another job held a core)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with threadpool_limits(limits=1):
            return fn(*args, **kwargs)

    return wrapper


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


def _js_pca(bins_a: np.ndarray, bins_b: np.ndarray, bins: int) -> float:
    """Mean over components of the per-component histogram divergences of two samples."""
    a, b = component_counts(bins_a, bins), component_counts(bins_b, bins)
    return float(np.mean(js_divergence(a, b, axis=1)))


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


@_single_threaded
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
    x = _as_images(real_x, "real_x")
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
    xf = _flat(x) / 255.0

    # JS: one PCA on the whole fold; real projections binned once, halves reuse them
    k = int(min(s.n_components, xf.shape[1], len(xf)))
    pca = PCA(n_components=k, random_state=s.seed).fit(xf)
    z = pca.transform(xf)
    edges = bin_edges(z, s.bins)
    real_bins = bin_index(z, edges)
    real_pixels = pixel_histograms(x)
    real_energy = gradient_energy(x)

    n_real, members, halves, rvr, baseline = {}, {}, {}, {}, {}
    sharp_rvr, sharp_base, c2st_rvr, c2st_base = {}, {}, {}, {}
    for pos, c in enumerate(classes):
        idx = np.flatnonzero(y == c)
        n_real[c], members[c] = len(idx), idx
        a, b = _real_halves(idx, s.n_draws, _rng(s.seed, pos, 0))
        halves[c] = a
        draws = range(s.n_draws)
        if b.shape[1] == 0:
            rvr[c] = np.full(s.n_draws, np.nan)
            sharp_rvr[c] = np.full(s.n_draws, np.nan)
        else:
            rvr[c] = np.array([_js_pca(real_bins[a[d]], real_bins[b[d]], s.bins) for d in draws])
            sharp_rvr[c] = np.array([energy_ratio(real_energy[a[d]], real_energy[b[d]]) for d in draws])
        baseline[c] = float(np.percentile(rvr[c], BASELINE_PERCENTILE)) if b.shape[1] else float("nan")
        sharp_base[c] = sharpness_baseline(sharp_rvr[c])
        # the same halves; NaN (no baseline, C2ST not judged) when a half has < C2ST_FOLDS images
        c2st_rvr[c] = np.array([c2st_auc(x[a[d]], x[b[d]], s.seed) for d in range(min(s.n_draws, C2ST_DRAWS))])
        c2st_base[c] = _c2st_baseline(c2st_rvr[c])

    clf, pred, folds = _fit_classifier(xf, y, groups, s.seed)
    recall = {c: float(np.mean(pred[y == c] == c)) for c in classes}

    copies = fit_copy_reference(x, seed=s.seed)  # infantfer.privacy's one definition of a copy
    notes = [f"{c}: {n_real[c]} real images < min_images={s.min_images}, JS and C2ST not judged"
             for c in classes if n_real[c] < s.min_images]
    notes += [f"{c}: {n_real[c]} real images, too few for a C2ST baseline; C2ST not judged"
              for c in classes if n_real[c] >= s.min_images and not np.isfinite(c2st_base[c])]
    for note in notes:
        log.info("gate: %s", note)
    return GateReference(
        settings=s, shape=tuple(x.shape[1:]), classes=classes, n_real=n_real, pca=pca, edges=edges,
        real_bins=real_bins, real_pixels=real_pixels, halves=halves, real_vs_real=rvr,
        js_real_baseline=baseline, members=members, real_images=x, real_energy=real_energy,
        sharpness_real_vs_real=sharp_rvr, sharpness_baseline=sharp_base, c2st_real_vs_real=c2st_rvr,
        c2st_baseline=c2st_base, classifier=clf, real_recall=recall, cv_folds=folds, copies=copies,
        notes=notes,
    )


# --------------------------------------------------------------------------- one checkpoint
def _check_settings(ref: GateReference, settings) -> GateSettings:
    s = ref.settings if settings is None else as_settings(settings)
    diff = [f for f in _FITTED if getattr(s, f) != getattr(ref.settings, f)]
    if diff:
        raise ValueError(f"settings {diff} differ from those the reference was fitted with; refit it")
    return s


def _score_class(ref: GateReference, pos: int, c: str, g: np.ndarray, s: GateSettings) -> dict:
    n_real, n_gen = ref.n_real[c], len(g)
    row = dict(
        n_real=n_real, n_generated=n_gen, js_pca=np.nan, js_pixels=np.nan,
        js_real_baseline=ref.js_real_baseline[c], js_judged=n_real >= s.min_images,
        label_agreement=np.nan, real_recall=ref.real_recall[c], copy_share=np.nan, copy_share_pixels=np.nan,
        copy_share_features=np.nan, copy_ok=True,
        sharpness_ratio=np.nan, sharpness_baseline=ref.sharpness_baseline[c], c2st_auc=np.nan,
        c2st_baseline=ref.c2st_baseline[c], js_ok=False, fidelity_ok=False, sharpness_ok=False,
        c2st_ok=False, passed=False,
    )
    if n_gen == 0:
        log.warning("gate: no generated images of %s", c)
        return row
    gf = _flat(g)
    g_bins = bin_index(ref.pca.transform(gf / 255.0), ref.edges)
    g_pix = pixel_histograms(g)

    a = ref.halves[c]
    h = a.shape[1]
    if n_gen < h:
        # unequal sizes bias JS upwards (conservative); the fix is to generate half_size(n_real)
        log.warning("gate: %s has %d generated images, fewer than the half size %d", c, n_gen, h)
    rng = _rng(s.seed, pos, 1)
    js, jp = np.empty(len(a)), np.empty(len(a))
    for d in range(len(a)):
        pick = rng.choice(n_gen, size=h, replace=False) if n_gen > h else np.arange(n_gen)
        js[d] = _js_pca(g_bins[pick], ref.real_bins[a[d]], s.bins)
        jp[d] = js_divergence(g_pix[pick].sum(axis=0), ref.real_pixels[a[d]].sum(axis=0))
    row["js_pca"], row["js_pixels"] = float(js.mean()), float(jp.mean())

    row["label_agreement"] = float(np.mean(ref.classifier.predict(gf / 255.0) == c))
    audit = copy_audit(ref.copies, g)
    for key in ("copy_share", "copy_share_pixels", "copy_share_features"):
        row[key] = audit[key]
    row["copy_ok"] = not copy_rejected(row["copy_share"], s.max_copy_share)

    idx = ref.members[c]
    row["sharpness_ratio"] = energy_ratio(gradient_energy(g), ref.real_energy[idx])
    # as many generated as real images (all when fewer), the same indices at every checkpoint
    pick = np.arange(n_gen)
    if n_gen > len(idx):
        pick = _rng(s.seed, pos, 2).choice(n_gen, size=len(idx), replace=False)
    row["c2st_auc"] = c2st_auc(ref.real_images[idx], g[pick], s.seed)

    # each check's own verdict (a NaN on either side -> False) ...
    ok = {
        "js": row["js_pca"] <= row["js_real_baseline"] + s.js_margin,
        "fidelity": row["label_agreement"] >= row["real_recall"] - s.fidelity_margin,
        "sharpness": row["sharpness_ratio"] >= row["sharpness_baseline"] - s.sharpness_margin,
        "c2st": row["c2st_auc"] <= row["c2st_baseline"] + s.c2st_margin,
    }
    # ... and whether it may judge this class at all
    judges = {
        "js": row["js_judged"],
        "fidelity": True,
        "sharpness": True,
        "c2st": row["js_judged"] and np.isfinite(row["c2st_baseline"]),
    }
    for name, verdict in ok.items():
        row[f"{name}_ok"] = bool(verdict)
    deciding = [name for name in s.criteria if judges[name]]
    if not deciding:  # e.g. criteria ("js",) and a class below min_images: nothing vouches for it
        log.warning("gate: %s: no check of %s judges a class of %d real images; it does not pass",
                    c, list(s.criteria), n_real)
    row["passed"] = bool(deciding) and all(ok[name] for name in deciding) and row["copy_ok"]
    return row


@_single_threaded
def score_checkpoint(
    ref: GateReference,
    generated: dict[str, np.ndarray],
    settings: GateSettings | dict | None = None,
) -> pd.DataFrame:
    """Score one checkpoint: one row per generated class (in the reference's class order).

    generated: class -> greyscale images (n, S, S), ideally half_size(n_real) or more of them.
    settings: None uses the reference's; margins, min_images and criteria may differ from it, the
    fitted ones (n_components, bins, n_draws, seed) may not.
    """
    s = _check_settings(ref, settings)
    unknown = set(generated) - set(ref.classes)
    if unknown:
        raise ValueError(f"generated classes {sorted(unknown)} have no real images in the fold")
    rows = []
    for pos, c in enumerate(ref.classes):
        if c in generated:
            g = _as_images(generated[c], f"generated[{c!r}]", ref.shape)
            rows.append({"class": c, **_score_class(ref, pos, c, g, s)})
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.astype(dict.fromkeys(_VERDICTS, bool))


# --------------------------------------------------------------------------- across checkpoints
def choose(table: pd.DataFrame, settings: GateSettings | dict | None = None) -> pd.DataFrame:
    """Pick per class the checkpoint whose images are added; adds ``chosen``.

    table: rows of several score_checkpoint tables with an int ``checkpoint`` column.
    Among a class's passing rows: the lowest js_pca when JS is judged, else the highest
    label_agreement; ties go to the later checkpoint (the longer-trained generator).
    ``chosen`` is True on one row of a class at most; a class that never passes has it False on
    every row and is logged (it gets no generated images). ``settings`` is accepted for symmetry; the rule needs none.
    """
    as_settings(settings)  # validate only
    if "checkpoint" not in table.columns:
        raise ValueError("table needs a 'checkpoint' column (int step)")
    # positional index: concatenated checkpoint tables usually repeat index labels
    out = table.reset_index(drop=True)
    out["chosen"] = False
    for c, rows in out.groupby("class", sort=False):
        ok = rows[rows["passed"].astype(bool)]
        if ok.empty:
            log.warning("gate: class %s passes at no checkpoint; it gets no synthetic images", c)
            continue
        if ok["js_judged"].astype(bool).all():
            best = ok.sort_values(["js_pca", "checkpoint"], ascending=[True, False], kind="stable")
        else:
            best = ok.sort_values(["label_agreement", "checkpoint"], ascending=[False, False], kind="stable")
        out.loc[best.index[0], "chosen"] = True
        log.info("gate: class %s uses checkpoint %s", c, best["checkpoint"].iloc[0])
    out.index = table.index
    return out


def gate_run(real: TrainingSet, checkpoints: pd.DataFrame, classes: list[str], gate_settings: dict,
             face_size: int, seed: int) -> pd.DataFrame:
    """Score every checkpoint of one GAN run against the real training images, then choose."""
    from .cgan import generate

    ref = fit_reference(real.x, real.y, gate_settings, groups=real.group)
    tables = []
    for row in checkpoints.itertuples():
        generated = {}
        for code, c in enumerate(classes):
            n_real = int((real.y == c).sum())
            if n_real == 0:
                continue
            # a pool as large as the real class: the gate draws real-half-sized samples from it
            labels = np.full(max(2, n_real), code)
            # on the CPU whatever trained the GAN: the same images on every machine
            generated[c] = generate(row.path, labels, seed=seed + code, size=face_size, device="cpu")
        table = score_checkpoint(ref, generated, gate_settings)
        table.insert(0, "checkpoint", int(row.checkpoint))
        tables.append(table)
        log.info("gate: checkpoint %d: %s", row.checkpoint,
                 ", ".join(f"{r['class']} {'pass' if r['passed'] else 'fail'}" for _, r in table.iterrows()))
    decided = choose(pd.concat(tables, ignore_index=True), gate_settings)
    never = sorted(set(decided["class"]) - set(decided.loc[decided["chosen"], "class"]))
    if never:
        log.warning("gate: class(es) %s never passed: they get no generated images", never)
    return decided
