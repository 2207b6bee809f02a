"""Privacy audit of synthetic faces: probable copies of real training faces, membership inference.

The real images are photos of minors: a GAN that memorises its training images hands them out
again as "synthetic" ones, and nothing in the quality gate looks for that (a copy scores
perfectly on every quality check).

A probable copy
    A generated face whose nearest real training face (the whole training fold, every class) is
    closer than the ``percentile`` (default :data:`COPY_PERCENTILE`, 1) percentile of the real
    faces' own leave-one-out nearest-neighbour distances, in either of two spaces: pixels (raw
    grey levels, threshold floored at :data:`PIXEL_FLOOR`) or features (the projections onto the
    fold's first principal components, not whitened; floor :data:`FEATURE_FLOOR`, the same half
    grey level). ``copy_share`` is the share of generated faces that are probable copies in either
    space; each space's share is reported too. :func:`copy_rejected` is the one home of the rule
    "a set whose copy_share is above ``max_copy_share`` is rejected like a gate failure".

Membership inference (reported, never deciding)
    :func:`membership_inference_auc`: can distances to the generated faces tell the GAN's
    training images from held-back real images of the same fold (a distance attack in the spirit
    of Hilprecht, Haerterich & Bernau 2019)? ~0.5 is good; near 1 the generator gives its
    training set away even where no single face is a copy.

Why these spaces and floors, and what the measures gave on the demo faces and the adult sample:
``docs/design/privacy.md``.

Sources
    B. Hilprecht, M. Haerterich, D. Bernau (2019). Monte Carlo and reconstruction membership
        inference attacks against generative models. PoPETs 2019(4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import NearestNeighbors

from .images import as_images, flat

__all__ = [
    "CopyReference",
    "fit_copy_reference",
    "nearest_distances",
    "copy_audit",
    "audit_table",
    "membership_inference_auc",
    "copy_rejected",
    "audit_added",
    "audit_training_set",
    "AUDIT_COLUMNS",
    "ADDED_COLUMNS",
    "NO_HELD_BACK",
    "PIXEL_FLOOR",
    "FEATURE_FLOOR",
    "MAX_COMPONENTS",
    "COPY_PERCENTILE",
]

COPY_PERCENTILE = 1.0  # a probable copy: closer than this percentile of real-to-real nearest distances
MAX_COMPONENTS = 20  # feature space: at most this many principal components
PIXEL_FLOOR = 0.5  # grey levels; distinct uint8 images are >= 1 apart
FEATURE_FLOOR = 0.5 / 255  # the same half grey level in the [0, 1] scale the PCA sees
RATIO_PERCENTILE = 5.0  # the low tail of distance / threshold reported besides min and median

AUDIT_COLUMNS = [
    "class",
    "n_real",
    "n_generated",
    "copy_share",
    "copy_share_pixels",
    "copy_share_features",
    "threshold_pixels",
    "threshold_features",
    "ratio_min_pixels",
    "ratio_p05_pixels",
    "ratio_median_pixels",
    "ratio_min_features",
    "ratio_p05_features",
    "ratio_median_features",
]

# the audit of the generated images a training set (or the balanced set) really holds
ADDED_COLUMNS = [*AUDIT_COLUMNS, "copy_ok", "mia_auc_pixels", "mia_auc_features", "mia_note"]
NO_HELD_BACK = "no held-back images: part all has no test fold"


@dataclass(frozen=True)
class CopyReference:
    """Everything fitted once per real training fold (see :func:`fit_copy_reference`).

    pca and nn_features are None when the fold has one image (no second image to measure a
    spread against); threshold_features is then NaN and only the pixel space judges.
    loo: summary of the leave-one-out nearest-neighbour distances per space (min, p01, p05,
    median, max; keys "pixels_min", ..., "features_max"), for reports.
    """

    shape: tuple[int, int]
    n_real: int
    percentile: float
    seed: int
    nn_pixels: NearestNeighbors
    pca: PCA | None
    nn_features: NearestNeighbors | None
    threshold_pixels: float
    threshold_features: float
    loo: dict[str, float] = field(default_factory=dict)


# --------------------------------------------------------------------------- reference
def _loo_distances(nn: NearestNeighbors, z: np.ndarray) -> np.ndarray:
    """Each point's distance to its nearest *other* point. Column 0 is usually the point itself,
    but with duplicates it may be its twin (distance 0 either way); taking the first neighbour
    with another index is exact in both cases."""
    d, i = nn.kneighbors(z, n_neighbors=2)
    own = i[:, 0] == np.arange(len(z))
    return np.where(own, d[:, 1], d[:, 0])


def _summary(d: np.ndarray, space: str) -> dict[str, float]:
    q = np.percentile(d, [0, 1, 5, 50, 100])
    return {f"{space}_{k}": float(v) for k, v in zip(("min", "p01", "p05", "median", "max"), q)}


def fit_copy_reference(x, seed: int = 0, percentile: float = COPY_PERCENTILE) -> CopyReference:
    """Fit the copy reference on one real training fold (all classes; never test images).

    x: uint8 greyscale (N, H, W), N >= 1; the gate passes its real_x (labels are not needed).
    seed: the PCA's random state (scikit-learn picks a randomized solver once N or H * W exceeds
    500). percentile: of the leave-one-out nearest-neighbour distances, in (0, 100).
    """
    if not 0 < float(percentile) < 100:
        raise ValueError(f"percentile must be in (0, 100); got {percentile}")
    x = as_images(x, "x")
    n = len(x)
    xf = flat(x)
    nn_p = NearestNeighbors(n_neighbors=1).fit(xf)
    if n < 2:
        # no spread to compare with: only the floors, i.e. exact copies (as the gate does today)
        return CopyReference(
            shape=tuple(x.shape[1:]), n_real=n, percentile=float(percentile), seed=int(seed),
            nn_pixels=nn_p, pca=None, nn_features=None, threshold_pixels=PIXEL_FLOOR,
            threshold_features=float("nan"), loo={},
        )
    d_p = _loo_distances(nn_p, xf)
    k = int(min(MAX_COMPONENTS, n - 1, xf.shape[1]))
    pca = PCA(n_components=k, whiten=False, random_state=seed).fit(xf / 255.0)
    z = pca.transform(xf / 255.0)
    nn_f = NearestNeighbors(n_neighbors=1).fit(z)
    d_f = _loo_distances(nn_f, z)
    return CopyReference(
        shape=tuple(x.shape[1:]), n_real=n, percentile=float(percentile), seed=int(seed),
        nn_pixels=nn_p, pca=pca, nn_features=nn_f,
        threshold_pixels=max(float(np.percentile(d_p, percentile)), PIXEL_FLOOR),
        threshold_features=max(float(np.percentile(d_f, percentile)), FEATURE_FLOOR),
        loo={**_summary(d_p, "pixels"), **_summary(d_f, "features")},
    )


# --------------------------------------------------------------------------- audit
def nearest_distances(ref: CopyReference, g) -> tuple[np.ndarray, np.ndarray]:
    """Each generated face's distance to its nearest real training face: (pixels, features).

    g: greyscale (M, H, W) of the reference's size (M may be 0). features is all NaN when the
    reference has no feature space (one real image).
    """
    g = as_images(g, "generated", ref.shape, empty="zeros")
    if len(g) == 0:
        return np.zeros(0), np.zeros(0)
    gf = flat(g)
    d_p = ref.nn_pixels.kneighbors(gf, n_neighbors=1)[0][:, 0]
    if ref.pca is None:
        return d_p, np.full(len(g), np.nan)
    d_f = ref.nn_features.kneighbors(ref.pca.transform(gf / 255.0), n_neighbors=1)[0][:, 0]
    return d_p, d_f


def _ratios(d: np.ndarray, thr: float, space: str) -> dict[str, float]:
    keys = (f"ratio_min_{space}", f"ratio_p05_{space}", f"ratio_median_{space}")
    if len(d) == 0 or not np.isfinite(thr):
        return dict.fromkeys(keys, float("nan"))
    q = np.percentile(d / thr, [0, RATIO_PERCENTILE, 50])
    return {k: float(v) for k, v in zip(keys, q)}


def copy_audit(ref: CopyReference, g) -> dict:
    """Probable copies among one set of generated faces (e.g. one class at one checkpoint).

    Returns n_real, n_generated, copy_share (either space), copy_share_pixels,
    copy_share_features, threshold_pixels, threshold_features and, per space, the min, 5th
    percentile and median of distance / threshold (below 1: a probable copy; how far above 1 the
    low tail sits says how close the set comes). Shares and ratios are NaN when nothing was
    generated; the feature ones also when the reference has one image (copy_share is then the
    pixel share).
    """
    d_p, d_f = nearest_distances(ref, g)
    row = dict(n_real=ref.n_real, n_generated=len(d_p))
    nan = float("nan")
    if len(d_p):
        flag_p = d_p < ref.threshold_pixels
        has_f = ref.pca is not None
        flag_f = d_f < ref.threshold_features if has_f else np.zeros(len(d_p), bool)
        row.update(
            copy_share=float(np.mean(flag_p | flag_f)),
            copy_share_pixels=float(np.mean(flag_p)),
            copy_share_features=float(np.mean(flag_f)) if has_f else nan,
        )
    else:
        row.update(copy_share=nan, copy_share_pixels=nan, copy_share_features=nan)
    row.update(threshold_pixels=ref.threshold_pixels, threshold_features=ref.threshold_features)
    row.update(_ratios(d_p, ref.threshold_pixels, "pixels"))
    row.update(_ratios(d_f, ref.threshold_features, "features"))
    return row


def audit_table(
    ref: CopyReference | Mapping[str, CopyReference],
    generated: Mapping[str, np.ndarray],
    max_copy_share: float | None = None,
) -> pd.DataFrame:
    """One row per generated class (columns AUDIT_COLUMNS, plus copy_rejected with a limit).

    ref: one reference for the whole training fold (what the gate uses: a copy of any infant
    counts, whatever its label), or class -> reference for a per-class audit; a class missing
    from the mapping raises KeyError. max_copy_share: when given, adds copy_rejected
    (:func:`copy_rejected`).
    """
    rows = []
    for c, g in generated.items():
        r = ref[c] if isinstance(ref, Mapping) else ref
        rows.append({"class": str(c), **copy_audit(r, g)})
    table = pd.DataFrame(rows, columns=AUDIT_COLUMNS)
    if max_copy_share is not None:
        table["copy_rejected"] = [copy_rejected(s, max_copy_share) for s in table["copy_share"]]
    return table


def copy_rejected(copy_share: float, max_copy_share: float | None) -> bool:
    """True when a generated set has too many probable copies to be used: copy_share above
    max_copy_share (equal passes). NaN copy_share (nothing generated: nothing to leak) and
    max_copy_share None (the check is off) never reject."""
    if max_copy_share is None:
        return False
    m = float(max_copy_share)
    if not 0 <= m <= 1:  # NaN fails this too
        raise ValueError(f"max_copy_share must be in [0, 1] or None; got {max_copy_share}")
    s = float(copy_share)
    return bool(np.isfinite(s) and s > m)


# --------------------------------------------------------------------------- membership inference
def membership_inference_auc(g, train_x, test_x, seed: int = 0) -> dict[str, float]:
    """ROC AUC of the distance attack "closer to a generated face means a training image".

    For every real image of train_x (the GAN's training images, label 1) and test_x (held-back
    real images of the same fold, label 0), its distance to the nearest generated face, in pixels
    and in a feature space fitted on train_x and test_x together (a PCA as in
    :func:`fit_copy_reference`, the same for both sides); the score
    is minus the distance. Returns {"mia_auc_pixels": ..., "mia_auc_features": ...}: ~0.5 means
    the generated faces are no closer to the training images than to unseen ones; 1 means they
    give the training set away. Both are NaN when train_x or test_x has fewer than 2 images or
    nothing was generated (no attack to measure); for its spread (reported only) see
    docs/design/privacy.md.
    """
    nan = {"mia_auc_pixels": float("nan"), "mia_auc_features": float("nan")}
    tr = as_images(train_x, "train_x", empty="zeros")
    shape = tr.shape[1:] if len(tr) else None
    te = as_images(test_x, "test_x", shape, empty="zeros")
    shape = shape or (te.shape[1:] if len(te) else None)
    gg = as_images(g, "generated", shape, empty="zeros")
    if len(tr) < 2 or len(te) < 2 or len(gg) == 0:
        return nan
    real = np.concatenate([tr, te])
    member = np.r_[np.ones(len(tr)), np.zeros(len(te))]
    # the generated faces are the reference here: each real image's nearest generated one
    gf, rf = flat(gg), flat(real)
    d_p = NearestNeighbors(n_neighbors=1).fit(gf).kneighbors(rf)[0][:, 0]
    # the feature space of both sides alike (exact SVD: row order does not matter): fitted on the
    # members alone, it shrinks the others' projections toward the mean face, where smooth
    # generated faces sit, and the AUC falls below 0.5 without any memorising (adult sample:
    # 0.28-0.55 that way)
    k = int(min(MAX_COMPONENTS, len(real) - 1, gf.shape[1]))
    pca = PCA(n_components=k, whiten=False, svd_solver="full", random_state=seed).fit(rf / 255.0)
    zg, zr = pca.transform(gf / 255.0), pca.transform(rf / 255.0)
    d_f = NearestNeighbors(n_neighbors=1).fit(zg).kneighbors(zr)[0][:, 0]
    return {
        "mia_auc_pixels": float(roc_auc_score(member, -d_p)),
        "mia_auc_features": float(roc_auc_score(member, -d_f)),
    }


# --------------------------------------------------------------------------- what a set really holds
def audit_added(real_x, generated: Mapping[str, np.ndarray], classes, trained=None, held_back=None, seed: int = 0,
                max_copy_share: float | None = None) -> pd.DataFrame:
    """The privacy audit of the generated images a training set really holds: one row per class
    (columns ADDED_COLUMNS), every class of ``classes`` listed, with n_generated 0 and NaN shares
    where none was added.

    real_x: the fold's real training images, the copy reference (fitted as the gate fits it: a
    copy of any real infant counts); generated: class -> the images added. The gate decided on its
    own draw from the chosen checkpoint, so ``copy_ok`` False here (share above
    ``max_copy_share``) flags an added set whose images came out worse than the gate's draw; it
    decides nothing. trained, held_back: (x, y) of the real images the generator learned from
    (after SMOTEENN's cleaning where the arm resamples first) and of the fold's held-back test
    images, for :func:`membership_inference_auc` over the classes that got generated images (so
    that a class mix differing between train and test does not move it); the same value on every
    row. held_back None (the balanced set: part all holds every image) leaves the AUCs NaN and
    says why in ``mia_note``.
    """
    ref = fit_copy_reference(real_x, seed=seed)
    empty = np.zeros((0, *ref.shape), np.uint8)
    added = {str(c): (np.asarray(generated[c]) if c in generated else empty) for c in classes}
    table = audit_table(ref, added)
    table["copy_ok"] = [not copy_rejected(s, max_copy_share) for s in table["copy_share"]]
    with_images = [c for c, g in added.items() if len(g)]
    nan = {"mia_auc_pixels": float("nan"), "mia_auc_features": float("nan")}
    if held_back is None or trained is None:
        mia, note = nan, NO_HELD_BACK
    elif not with_images:
        mia, note = nan, "nothing generated"
    else:
        (train_x, train_y), (test_x, test_y) = trained, held_back
        members = np.asarray(train_x)[np.isin(np.asarray(train_y).astype(str), with_images)]
        others = np.asarray(test_x)[np.isin(np.asarray(test_y).astype(str), with_images)]
        mia = membership_inference_auc(np.concatenate([added[c] for c in with_images]), members, others, seed=seed)
        note = "" if np.isfinite(mia["mia_auc_pixels"]) else "fewer than 2 training or test images"
    for k, v in mia.items():
        table[k] = v
    table["mia_note"] = note
    return table[ADDED_COLUMNS]


def audit_training_set(real_x, ts, classes, held_back=None, seed: int = 0,
                       max_copy_share: float | None = None) -> pd.DataFrame:
    """:func:`audit_added` of a topped-up training set ``ts`` (an :class:`infantfer.io.
    TrainingSet`): its rows of source ``cgan`` are the added images, its rows of source ``real``
    the real images its GAN learned from (SMOTE rows are neither)."""
    source = np.asarray(ts.source)
    y = np.asarray(ts.y).astype(str)
    generated = {str(c): np.asarray(ts.x)[(source == "cgan") & (y == str(c))] for c in classes}
    real = source == "real"
    return audit_added(real_x, generated, classes, trained=(np.asarray(ts.x)[real], y[real]), held_back=held_back,
                       seed=seed, max_copy_share=max_copy_share)


def collect_privacy(paths: list, runs: list[tuple[str, str]], gan_arms: dict[str, str]) -> pd.DataFrame:
    """The audits at ``paths`` (one per fold GAN run of ``runs``, in that order) as one table with an
    arm column per GAN arm (``gan_arms``: arm -> base), as the gate's tables are joined; logs the
    range of copy shares and membership AUCs, and warns of added sets above max_copy_share."""
    import logging

    from .arms import join_by_arm
    from .io.tsv import as_bool, read_numeric_tsv

    log = logging.getLogger(__name__)
    table = join_by_arm(gan_arms, runs, [read_numeric_tsv(p) for p in paths])
    added = table[table["n_generated"] > 0]
    log.info("%d audits of %d GAN arm(s); %d class sets with added images, copy share max %.3f, "
             "membership-inference AUC (pixels) %.2f-%.2f", len(paths), len(gan_arms), len(added),
             added["copy_share"].max() if len(added) else float("nan"),
             table["mia_auc_pixels"].min(), table["mia_auc_pixels"].max())
    above = added[~as_bool(added["copy_ok"])]
    if len(above):
        log.warning("privacy: added sets above privacy.max_copy_share: %s",
                    above[["arm", "repeat", "fold", "class"]].to_dict("records"))
    return table
