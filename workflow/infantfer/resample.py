"""Stage 4, resample: imbalanced-learn's samplers on a training fold, guarded for tiny classes.

The resampling itself is imbalanced-learn's: :class:`~imblearn.combine.SMOTEENN` (the thesis'
method), :class:`~imblearn.over_sampling.SMOTE`, :class:`~imblearn.over_sampling.RandomOverSampler`,
:class:`~imblearn.over_sampling.ADASYN` and :class:`~imblearn.over_sampling.BorderlineSMOTE` (the
baselines a reviewer asks for). What this module adds is what small, badly imbalanced infant sets
need around them:

- the neighbour counts (SMOTE's ``k_neighbors``, ADASYN's ``n_neighbors``) are lowered, with a
  warning, when a class to oversample has too few images;
- a class with fewer than 2 images cannot be interpolated and is kept as it is, with a warning;
- a class that ENN would remove entirely gets its real images back, with a warning; ADASYN, which
  refuses a class with no majority neighbour, leaves that class as it is, with a warning;
- every output row says where it came from (``source``: ``real``, ``smote``, ``adasyn``,
  ``random_over``, ``borderline_smote``) and, when it is a real image or a copy of one, which
  (``real_index_``), and the class counts after each step are kept (the thesis' Table 2);
- ``space: pca`` runs the sampler in a PCA space fitted on the training fold: new points are decoded
  back to images, real images keep their own pixels.

SMOTEENN's labels are encoded as integers before imbalanced-learn sees them
(``EditedNearestNeighbours(kind_sel="mode")`` fails on string labels in imbalanced-learn 0.14:
scipy's ``mode`` rejects them).

:class:`GuardedSMOTEENN` and :class:`GuardedOverSampler` are imblearn samplers (``fit_resample``),
so they compose with ``imblearn.pipeline.Pipeline``; :func:`resample_fold` is what the workflow's
rule calls, and :func:`make_sampler` builds either from an arm's settings.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from numbers import Integral

import numpy as np
import pandas as pd
from imblearn.base import BaseSampler
from imblearn.combine import SMOTEENN
from imblearn.over_sampling import ADASYN, SMOTE, BorderlineSMOTE, RandomOverSampler
from imblearn.under_sampling import EditedNearestNeighbours
from sklearn.decomposition import PCA
from sklearn.utils._param_validation import Interval, StrOptions

from .arms import RESAMPLERS, SOURCE_OF  # resampler -> the source its new rows get
from .io.npz import TrainingSet
from .schema import defaults

log = logging.getLogger(__name__)

ENN_STRATEGIES = ("all", "auto", "majority", "not minority", "not majority")
OVERSAMPLERS = [name for name in RESAMPLERS if name != "smoteenn"]  # GuardedOverSampler's kinds
# the samplers' constructor defaults: the schema's
_SMOTEENN, _SMOTE, _BORDERLINE = (defaults(RESAMPLERS[k].settings) for k in ("smoteenn", "smote", "borderline_smote"))


def _class_counts(y) -> dict:
    classes, counts = np.unique(y, return_counts=True)
    return dict(zip(classes.tolist(), counts.tolist()))


def _targets(n: dict, smallest: int) -> tuple[dict, list]:
    """Classes to oversample up to the majority's count, and those too small to take part."""
    majority = max(n.values())
    too_small = [c for c, k in n.items() if k < smallest]
    for c in too_small:
        log.warning("class '%s' has %d training image(s): too few to oversample; kept as it is", c, n[c])
    return {c: majority for c, k in n.items() if smallest <= k < majority}, too_small


def _lowered(name: str, wanted: int, targets: dict, n: dict) -> int:
    """``wanted`` neighbours, lowered to (smallest class to oversample - 1) with a warning."""
    k = min([wanted] + [n[c] - 1 for c in targets])
    if k < wanted:
        small = min(targets, key=n.get)
        log.warning("%s lowered from %d to %d: class '%s' has only %d training images", name, wanted, k, small, n[small])
    return k


class GuardedSMOTEENN(BaseSampler):
    """SMOTEENN that survives tiny classes.

    Parameters
    ----------
    k_neighbors : int, default=5
        SMOTE's neighbours; lowered to (smallest resampled class - 1) when needed.
    enn_neighbors : int, default=3
        Edited Nearest Neighbours' neighbours.
    kind_sel : {"all", "mode"}, default="all"
        ENN's rule: remove a sample unless *all* its neighbours share its class (the published
        and imbalanced-learn default), or unless the *mode* of its neighbours does (cleans less).
    enn_sampling_strategy : str, default="all"
        Which classes ENN edits: ``all`` (SMOTEENN's default), ``auto`` (= ``not minority``),
        ``majority``, ``not minority``, ``not majority``.
    random_state : int, RandomState or None
        Seed of SMOTE's interpolation.

    Attributes
    ----------
    smoteenn_ : imblearn.combine.SMOTEENN (ENN edits even when no class needs oversampling)
    k_neighbors_ : int, the k SMOTE used
    kept_as_is_ : list of classes too small to interpolate
    restored_ : list of classes ENN removed entirely, restored from their real images
    source_ : ndarray of 'real' / 'smote' per output row
    real_index_ : ndarray, index into X of each output row that is real, -1 for synthetic rows
    counts_ : DataFrame with per class: real, after_smote, after_enn (+ real/smote split)
    """

    _sampling_type = "over-sampling"
    _parameter_constraints: dict = {
        "k_neighbors": [Interval(Integral, 1, None, closed="left")],
        "enn_neighbors": [Interval(Integral, 1, None, closed="left")],
        "kind_sel": [StrOptions({"all", "mode"})],
        "enn_sampling_strategy": [StrOptions(set(ENN_STRATEGIES))],
        "random_state": ["random_state"],
    }

    def __init__(self, k_neighbors=_SMOTEENN["k_neighbors"], enn_neighbors=_SMOTEENN["enn_neighbors"],
                 kind_sel=_SMOTEENN["kind_sel"], enn_sampling_strategy=_SMOTEENN["enn_sampling_strategy"],
                 random_state=None):
        super().__init__(sampling_strategy="auto")
        self.k_neighbors = k_neighbors
        self.enn_neighbors = enn_neighbors
        self.kind_sel = kind_sel
        self.enn_sampling_strategy = enn_sampling_strategy
        self.random_state = random_state

    def _fit_resample(self, X, y):
        n = _class_counts(y)
        targets, too_small = _targets(n, smallest=2)
        self.kept_as_is_ = [str(c) for c in too_small]
        self.k_neighbors_ = _lowered("SMOTE k_neighbors", self.k_neighbors, targets, n)
        # integer codes for imblearn (ENN's kind_sel="mode" fails on strings); sorted like the labels,
        # so SMOTE draws in the same class order either way
        labels, codes = np.unique(y, return_inverse=True)
        code_of = {c: i for i, c in enumerate(labels.tolist())}
        self.smoteenn_ = SMOTEENN(
            smote=SMOTE(sampling_strategy={code_of[c]: t for c, t in targets.items()}, k_neighbors=self.k_neighbors_,
                        random_state=self.random_state),
            enn=EditedNearestNeighbours(n_neighbors=self.enn_neighbors, kind_sel=self.kind_sel,
                                        sampling_strategy=self.enn_sampling_strategy),
        )
        X_res, codes_res = self.smoteenn_.fit_resample(X, codes)
        y_res = labels[codes_res]
        # SMOTE returns the original rows first, in order, then the synthetic ones; ENN's
        # sample_indices_ index that intermediate array.
        kept = self.smoteenn_.enn_.sample_indices_
        made = self.smoteenn_.smote_.sampling_strategy_
        y_smote = np.concatenate([y, np.repeat(labels[list(made)], list(made.values()))]) if sum(made.values()) else y
        # what ENN left, before a wiped class gets its real images back (Table 2's after_enn step)
        after_enn = (y_res.copy(), np.where(kept < len(y), "real", "smote"))
        wiped = [c for c in n if c not in set(y_res.tolist())]
        self.restored_ = [str(c) for c in wiped]
        if wiped:
            log.warning("ENN removed every image of class(es) %s; their real images are restored", self.restored_)
            back = np.flatnonzero(np.isin(y, wiped))
            kept = np.concatenate([kept, back])
            X_res = np.concatenate([X_res, X[back]])
            y_res = np.concatenate([y_res, y[back]])
        self.real_index_ = np.where(kept < len(y), kept, -1)
        self.source_ = np.where(kept < len(y), "real", "smote").astype(object)
        self.steps_ = [("after_smote", y_smote, np.where(np.arange(len(y_smote)) < len(y), "real", "smote")),
                       ("after_enn", *after_enn)]
        return X_res, y_res


class GuardedOverSampler(BaseSampler):
    """One of imbalanced-learn's over-samplers, guarded for tiny classes: every class below the
    majority is oversampled up to it.

    Parameters
    ----------
    kind : {"smote", "random_over", "adasyn", "borderline_smote"}, default="smote"
    k_neighbors : int, default=5
        SMOTE's and Borderline-SMOTE's ``k_neighbors``, ADASYN's ``n_neighbors``; lowered to
        (smallest class to oversample - 1) when needed. Unused by ``random_over``.
    m_neighbors : int, default=10
        Borderline-SMOTE's neighbours that decide whether a sample is in danger.
    random_state : int, RandomState or None

    Attributes
    ----------
    sampler_ : the fitted imbalanced-learn sampler (None when no class needed oversampling)
    kept_as_is_ : classes too small to oversample (or, for ADASYN, with no majority neighbour)
    source_ : ndarray, ``real`` or the kind's source per output row
    real_index_ : ndarray, the index into X of the real image a row is (or copies), -1 otherwise
    """

    _sampling_type = "over-sampling"
    _parameter_constraints: dict = {
        "kind": [StrOptions(set(OVERSAMPLERS))],
        "k_neighbors": [Interval(Integral, 1, None, closed="left")],
        "m_neighbors": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, kind="smote", k_neighbors=_SMOTE["k_neighbors"], m_neighbors=_BORDERLINE["m_neighbors"],
                 random_state=None):
        super().__init__(sampling_strategy="auto")
        self.kind = kind
        self.k_neighbors = k_neighbors
        self.m_neighbors = m_neighbors
        self.random_state = random_state

    def _sampler(self, targets: dict, n: dict):
        if self.kind == "random_over":
            return RandomOverSampler(sampling_strategy=targets, random_state=self.random_state)
        if self.kind == "adasyn":
            k = _lowered("ADASYN n_neighbors", self.k_neighbors, targets, n)
            return ADASYN(sampling_strategy=targets, n_neighbors=k, random_state=self.random_state)
        k = _lowered(f"{self.kind} k_neighbors", self.k_neighbors, targets, n)
        if self.kind == "borderline_smote":
            m = min(self.m_neighbors, sum(n.values()) - 1)
            return BorderlineSMOTE(sampling_strategy=targets, k_neighbors=k, m_neighbors=m, random_state=self.random_state)
        return SMOTE(sampling_strategy=targets, k_neighbors=k, random_state=self.random_state)

    def _fit_resample(self, X, y):
        n = _class_counts(y)
        targets, too_small = _targets(n, smallest=1 if self.kind == "random_over" else 2)
        self.kept_as_is_ = [str(c) for c in too_small]
        self.sampler_ = None
        source = SOURCE_OF[self.kind]
        if not targets:
            self.real_index_, self.source_ = np.arange(len(y)), np.full(len(y), "real", dtype=object)
            return X, y
        self.sampler_ = self._sampler(targets, n)
        try:
            X_res, y_res = self.sampler_.fit_resample(X, y)
        except RuntimeError as err:  # ADASYN: a class with no majority neighbour
            if self.kind != "adasyn":
                raise
            X_res, y_res = self._adasyn_per_class(X, y, targets, n, err)
        if self.kind == "random_over":
            self.real_index_ = self.sampler_.sample_indices_
        else:  # originals first, in order, then the new rows
            self.real_index_ = np.concatenate([np.arange(len(y)), np.full(len(y_res) - len(y), -1)])
        self.source_ = np.where(np.arange(len(y_res)) < len(y), "real", source).astype(object)
        return X_res, y_res

    def _adasyn_per_class(self, X, y, targets, n, err):
        log.warning("ADASYN: %s; oversampling class by class", err)
        xs, ys = [X], [y]
        for c in sorted(targets):
            one = ADASYN(sampling_strategy={c: targets[c]}, n_neighbors=_lowered("ADASYN n_neighbors", self.k_neighbors, {c: 0}, n),
                         random_state=self.random_state)
            try:
                X_c, y_c = one.fit_resample(X, y)
            except RuntimeError:
                log.warning("ADASYN: class '%s' has no neighbour of another class; kept as it is", c)
                self.kept_as_is_.append(str(c))
                continue
            xs.append(X_c[len(y):])
            ys.append(y_c[len(y):])
        return np.concatenate(xs), np.concatenate(ys)


def resampler_defaults(resampler: str) -> dict:
    """The schema's defaults of a resampler's settings, for callers of the package that give only
    some (the workflow's arms carry them all)."""
    if resampler not in RESAMPLERS:
        raise ValueError(f"unknown resampler {resampler!r}; use one of {list(RESAMPLERS)}")
    return defaults(RESAMPLERS[resampler].settings)


def make_sampler(resampler: str, params: dict, random_state: int):
    """The guarded sampler of an arm's ``resampler`` and its settings (``params`` may hold keys a
    sampler does not use: ``space``, ``pca_components``, ``seed``)."""
    # every key a resampler takes is given (resample_fold fills the schema's defaults)
    if resampler == "smoteenn":
        keys = ("k_neighbors", "enn_neighbors", "kind_sel", "enn_sampling_strategy")
        return GuardedSMOTEENN(**{k: params[k] for k in keys}, random_state=random_state)
    if resampler in OVERSAMPLERS:
        given = {k: params[k] for k in ("k_neighbors", "m_neighbors") if k in params}  # random_over takes neither
        return GuardedOverSampler(kind=resampler, **given, random_state=random_state)
    raise ValueError(f"unknown resampler {resampler!r}; use one of {list(SOURCE_OF)}")


@dataclass
class ResampledFold(TrainingSet):
    """A resampled training fold plus its class counts after each step (``steps``: long table of
    step, label, real and one column per source)."""

    steps: pd.DataFrame | None = None


def _step_counts(step: str, y, source, classes, sources) -> list[dict]:
    rows = []
    for c in classes:
        mine = np.asarray(source)[np.asarray(y) == c]
        rows.append({"step": step, "label": c, "real": int((mine == "real").sum()),
                     **{s: int((mine == s).sum()) for s in sources}})
    return rows


def resample_fold(x: np.ndarray, y: np.ndarray, ids: np.ndarray, resampler: str = "smoteenn", params: dict | None = None,
                  random_state: int = 0, id_prefix: str | None = None) -> ResampledFold:
    """Resample one training fold of uint8 images (N, S, S) with a guarded imblearn sampler.

    ``params``: the resampler's settings, plus ``space`` (``pixels``, the default, or ``pca``) and
    ``pca_components``. New images are rounded back to uint8, so every arm's training set is
    images again; real rows (and random_over's copies) keep their own pixels. New rows get ids
    ``{id_prefix}-{i:05d}`` (default prefix: their source). The counts after each step are in
    ``steps``: ``input``, the sampler's own intermediate steps (SMOTEENN: ``after_smote``), and
    ``resampled``.
    """
    params = {**resampler_defaults(resampler), **(params or {})}
    n, side = x.shape[0], x.shape[1:]
    y = np.asarray(y).astype(str)
    classes = np.unique(y)
    X = x.reshape(n, -1).astype(np.float32)
    pca = None
    if params.get("space") == "pca":  # a SMOTEENN setting; the other resamplers default to pixels
        k = int(min(params["pca_components"], n - 1, X.shape[1]))
        pca = PCA(n_components=k, random_state=random_state).fit(X)
        X = pca.transform(X).astype(np.float32)
        log.info("resampling in a PCA space of %d components (%.1f%% of the variance)", k,
                 100 * pca.explained_variance_ratio_.sum())
    sampler = make_sampler(resampler, params, random_state)
    Z_res, y_res = sampler.fit_resample(X, y)
    real_index = sampler.real_index_
    copied = real_index >= 0
    if pca is None:
        x_res = np.clip(np.rint(Z_res), 0, 255).astype(np.uint8).reshape(-1, *side)
    else:
        x_res = np.empty((len(y_res), *side), np.uint8)
        x_res[copied] = x[real_index[copied]]
        decoded = pca.inverse_transform(Z_res[~copied])
        x_res[~copied] = np.clip(np.rint(decoded), 0, 255).astype(np.uint8).reshape(-1, *side)
    source = sampler.source_.astype(str)
    y_res = np.asarray(y_res).astype(str)
    new = source != "real"
    out_ids = np.where(new, "", ids[np.maximum(real_index, 0)]).astype(object)
    prefix = id_prefix or SOURCE_OF[resampler]
    out_ids[new] = [f"{prefix}-{i:05d}" for i in range(int(new.sum()))]

    sources = [SOURCE_OF[resampler]]
    rows = _step_counts("input", y, np.full(n, "real"), classes, sources)
    for step, y_step, src_step in getattr(sampler, "steps_", []):
        rows += _step_counts(step, y_step, src_step, classes, sources)
    rows += _step_counts("resampled", y_res, source, classes, sources)
    steps = pd.DataFrame(rows)
    _log_counts(steps, resampler)
    return ResampledFold(x=x_res, y=y_res, id=out_ids.astype(str), source=source, steps=steps)


def _log_counts(steps: pd.DataFrame, resampler: str) -> None:
    table = steps.set_index(["step", "label"])
    totals = table.sum(axis=1)
    for c in steps["label"].unique():
        chain = " -> ".join(f"{totals[(s, c)]} {s}" for s in steps["step"].unique())
        removed = table.loc[("input", c), "real"] - table.loc[("resampled", c), "real"]
        log.info("%s, class '%s': %s (%d real + %d new); %d real image(s) removed", resampler, c, chain,
                 table.loc[("resampled", c), "real"], totals[("resampled", c)] - table.loc[("resampled", c), "real"], removed)
