"""The gate's settings (:class:`GateSettings`), the checks it may decide by and its table's columns."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..schema import schema_field

__all__ = ["GateSettings", "as_settings", "CRITERIA", "COLUMNS", "VERDICTS", "FITTED", "BASELINE_PERCENTILE"]

BASELINE_PERCENTILE = 95.0  # js_real_baseline, c2st_baseline: this percentile of the real-vs-real draws

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
    "noise_ratio",
    "noise_ceiling",
    "c2st_auc",
    "c2st_baseline",
    "texture_auc",
    "texture_baseline",
    "js_ok",
    "fidelity_ok",
    "sharpness_ok",
    "c2st_ok",
    "copy_ok",
    "passed",
]

VERDICTS = ["js_judged", "js_ok", "fidelity_ok", "sharpness_ok", "c2st_ok", "copy_ok", "passed"]


@dataclass(frozen=True)
class GateSettings:
    """Settings of the gate (a plain dict with these keys is accepted too, see :func:`as_settings`).

    n_components: PCA components whose histograms JS compares (fitted on the real training fold).
    bins: histogram bins per component (equal width between the real fold's min and max).
    n_draws: random real halves drawn per class (baseline and generated-vs-real both use them).
    js_margin: allowed excess of js_pca over js_real_baseline (the 95th percentile real-vs-real).
    fidelity_margin: allowed shortfall of label_agreement below the classifier's real recall.
    sharpness_margin: allowed shortfall of sharpness_ratio below sharpness_baseline (0.1: chosen
        on the demo faces, see docs/design/gate.md).
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

    # defaults: the schema's gate and privacy sections
    n_components: int = schema_field("gate", "n_components")
    bins: int = schema_field("gate", "bins")
    n_draws: int = schema_field("gate", "n_draws")
    js_margin: float = schema_field("gate", "js_margin")
    fidelity_margin: float = schema_field("gate", "fidelity_margin")
    sharpness_margin: float = schema_field("gate", "sharpness_margin")
    c2st_margin: float = schema_field("gate", "c2st_margin")
    min_images: int = schema_field("gate", "min_images")
    criteria: tuple[str, ...] = schema_field("gate", "criteria", tuple)
    max_copy_share: float | None = schema_field("privacy", "max_copy_share")
    seed: int = schema_field("gate", "seed")

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
FITTED = ("n_components", "bins", "n_draws", "seed")


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

