"""One checkpoint scored against a fitted reference (:func:`score_checkpoint`), and per class the
checkpoint whose images are added (:func:`choose`); the rule is in docs/design/gate.md."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ..images import as_images, flat
from ..privacy import copy_audit, copy_rejected
from .divergence import bin_index, js_divergence, js_pca, pixel_histograms
from .reference import GateReference, class_rng, single_threaded
from .settings import COLUMNS, FITTED, VERDICTS, GateSettings, as_settings
from .sharpness import energy_ratio, gradient_energy, noise_energy
from .two_sample import c2st_auc, texture_auc, texture_features

__all__ = ["score_checkpoint", "choose"]

log = logging.getLogger(__package__)  # infantfer.gate, as when the gate was one module


def _check_settings(ref: GateReference, settings) -> GateSettings:
    s = ref.settings if settings is None else as_settings(settings)
    diff = [f for f in FITTED if getattr(s, f) != getattr(ref.settings, f)]
    if diff:
        raise ValueError(f"settings {diff} differ from those the reference was fitted with; refit it")
    return s


def _empty_row(ref: GateReference, c: str, n_gen: int, s: GateSettings) -> dict:
    """A class's row before scoring: the reference's values, no scores, every verdict False."""
    n_real = ref.n_real[c]
    return dict(
        n_real=n_real, n_generated=n_gen, js_pca=np.nan, js_pixels=np.nan,
        js_real_baseline=ref.js_real_baseline[c], js_judged=n_real >= s.min_images,
        label_agreement=np.nan, real_recall=ref.real_recall[c], copy_share=np.nan, copy_share_pixels=np.nan,
        copy_share_features=np.nan, copy_ok=True,
        sharpness_ratio=np.nan, sharpness_baseline=ref.sharpness_baseline[c], noise_ratio=np.nan,
        noise_ceiling=ref.noise_ceiling[c], c2st_auc=np.nan,
        c2st_baseline=ref.c2st_baseline[c], texture_auc=np.nan, texture_baseline=ref.texture_baseline[c], js_ok=False, fidelity_ok=False, sharpness_ok=False,
        c2st_ok=False, passed=False,
    )


def _js_scores(ref: GateReference, pos: int, c: str, g: np.ndarray, gf: np.ndarray, s: GateSettings):
    """js_pca and js_pixels of the generated images g (gf: their pixel rows) of class c: the mean
    over the draws of a half-sized generated sample against the real half A of each draw."""
    n_gen = len(g)
    g_bins = bin_index(ref.pca.transform(gf / 255.0), ref.edges)
    g_pix = pixel_histograms(g)

    a = ref.halves[c]
    h = a.shape[1]
    if n_gen < h:
        # unequal sizes bias JS upwards (conservative); the fix is to generate half_size(n_real)
        log.warning("gate: %s has %d generated images, fewer than the half size %d", c, n_gen, h)
    rng = class_rng(s.seed, pos, 1)
    js, jp = np.empty(len(a)), np.empty(len(a))
    for d in range(len(a)):
        pick = rng.choice(n_gen, size=h, replace=False) if n_gen > h else np.arange(n_gen)
        js[d] = js_pca(g_bins[pick], ref.real_bins[a[d]], s.bins)
        jp[d] = js_divergence(g_pix[pick].sum(axis=0), ref.real_pixels[a[d]].sum(axis=0))
    return float(js.mean()), float(jp.mean())


def _decide(row: dict, c: str, s: GateSettings) -> None:
    """Each check's own verdict into ``row``, and whether the class passes (``passed``)."""
    # each check's own verdict (a NaN on either side -> False) ...
    ok = {
        "js": row["js_pca"] <= row["js_real_baseline"] + s.js_margin,
        "fidelity": row["label_agreement"] >= row["real_recall"] - s.fidelity_margin,
        # two-sided: blur lowers the energy, noise raises it relative to the images' contrast
        "sharpness": (row["sharpness_ratio"] >= row["sharpness_baseline"] - s.sharpness_margin
                      and row["noise_ratio"] <= row["noise_ceiling"] + s.sharpness_margin),
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
                    c, list(s.criteria), row["n_real"])
    row["passed"] = bool(deciding) and all(ok[name] for name in deciding) and row["copy_ok"]


def _score_class(ref: GateReference, pos: int, c: str, g: np.ndarray, s: GateSettings) -> dict:
    """Every score and verdict of class c (``pos`` in the reference's class order) at one checkpoint."""
    n_gen = len(g)
    row = _empty_row(ref, c, n_gen, s)
    if n_gen == 0:
        log.warning("gate: no generated images of %s", c)
        return row
    gf = flat(g)
    row["js_pca"], row["js_pixels"] = _js_scores(ref, pos, c, g, gf, s)

    row["label_agreement"] = float(np.mean(ref.classifier.predict(gf / 255.0) == c))
    audit = copy_audit(ref.copies, g)
    for key in ("copy_share", "copy_share_pixels", "copy_share_features"):
        row[key] = audit[key]
    row["copy_ok"] = not copy_rejected(row["copy_share"], s.max_copy_share)

    idx = ref.members[c]
    row["sharpness_ratio"] = energy_ratio(gradient_energy(g), ref.real_energy[idx])
    row["noise_ratio"] = energy_ratio(noise_energy(g), ref.real_noise[idx])
    # as many generated as real images (all when fewer), the same indices at every checkpoint
    pick = np.arange(n_gen)
    if n_gen > len(idx):
        pick = class_rng(s.seed, pos, 2).choice(n_gen, size=len(idx), replace=False)
    row["c2st_auc"] = c2st_auc(ref.real_images[idx], g[pick], s.seed)
    # reported, never deciding (docs/method.md: why)
    row["texture_auc"] = texture_auc(ref.real_texture[idx], texture_features(g[pick]), s.seed)
    _decide(row, c, s)
    return row


@single_threaded
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
            g = as_images(generated[c], f"generated[{c!r}]", ref.shape, empty="keep")
            rows.append({"class": c, **_score_class(ref, pos, c, g, s)})
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.astype(dict.fromkeys(VERDICTS, bool))


# --------------------------------------------------------------------------- across checkpoints
def choose(table: pd.DataFrame, settings: GateSettings | dict | None = None) -> pd.DataFrame:
    """Pick per class the checkpoint whose images are added; adds ``chosen``.

    table: rows of several score_checkpoint tables with an int ``checkpoint`` column.
    Among a class's passing checkpoints, the latest: the longest-trained generator that passed
    every deciding check. Not the lowest of several noisy scores, which is biased low (the
    winner's curse) and picked early checkpoints whose images a two-sample test told from real
    far more easily than the later ones'.
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
        best = ok.sort_values("checkpoint", ascending=False, kind="stable")
        out.loc[best.index[0], "chosen"] = True
        log.info("gate: class %s uses checkpoint %s", c, best["checkpoint"].iloc[0])
    out.index = table.index
    return out

