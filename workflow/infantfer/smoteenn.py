"""Stage 4, smoteenn: imbalanced-learn's SMOTE + Edited Nearest Neighbours on a training fold.

The resampling itself is imblearn's :class:`~imblearn.combine.SMOTEENN`. What this module adds is
what small, badly imbalanced infant sets need around it:

- SMOTE's ``k_neighbors`` is clamped, with a warning, when a class has fewer than k+1 images;
- a class with fewer than 2 images cannot be interpolated and is kept as it is, with a warning;
- a class that ENN would remove entirely gets its real images back, with a warning;
- every output row says where it came from (``real`` with its image id, or ``smote``), and the
  class counts before, after SMOTE and after ENN are kept (the thesis' Table 2).

:class:`GuardedSMOTEENN` is an imblearn sampler (``fit_resample``), so it composes with
``imblearn.pipeline.Pipeline``; :func:`resample_fold` is what the workflow's rule calls.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from numbers import Integral

import numpy as np
import pandas as pd
from imblearn.base import BaseSampler
from imblearn.combine import SMOTEENN
from imblearn.over_sampling import SMOTE
from imblearn.under_sampling import EditedNearestNeighbours
from sklearn.utils._param_validation import Interval

log = logging.getLogger(__name__)


class GuardedSMOTEENN(BaseSampler):
    """SMOTEENN that survives tiny classes.

    Parameters
    ----------
    k_neighbors : int, default=5
        SMOTE's neighbours; lowered to (smallest resampled class - 1) when needed.
    enn_neighbors : int, default=3
        Edited Nearest Neighbours' neighbours (ENN edits all classes, as SMOTEENN's default).
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
        "random_state": ["random_state"],
    }

    def __init__(self, k_neighbors=5, enn_neighbors=3, random_state=None):
        super().__init__(sampling_strategy="auto")
        self.k_neighbors = k_neighbors
        self.enn_neighbors = enn_neighbors
        self.random_state = random_state

    def _fit_resample(self, X, y):
        classes, counts = np.unique(y, return_counts=True)
        n = dict(zip(classes.tolist(), counts.tolist()))
        majority = max(counts)
        too_small = [c for c, k in n.items() if k < 2]
        self.kept_as_is_ = [str(c) for c in too_small]
        for c in too_small:
            log.warning("class '%s' has %d training image(s): too few to interpolate; kept as it is", c, n[c])
        targets = {c: majority for c, k in n.items() if 2 <= k < majority}
        self.k_neighbors_ = min([self.k_neighbors] + [n[c] - 1 for c in targets])
        if self.k_neighbors_ < self.k_neighbors:
            small = min(targets, key=n.get)
            log.warning(
                "SMOTE k_neighbors lowered from %d to %d: class '%s' has only %d training images",
                self.k_neighbors, self.k_neighbors_, small, n[small],
            )
        self.smoteenn_ = SMOTEENN(
            smote=SMOTE(sampling_strategy=targets, k_neighbors=self.k_neighbors_, random_state=self.random_state),
            enn=EditedNearestNeighbours(n_neighbors=self.enn_neighbors, sampling_strategy="all"),
        )
        X_res, y_res = self.smoteenn_.fit_resample(X, y)
        # SMOTE returns the original rows first, in order, then the synthetic ones; ENN's
        # sample_indices_ index that intermediate array.
        kept = self.smoteenn_.enn_.sample_indices_
        generated = sum(self.smoteenn_.smote_.sampling_strategy_.values())
        y_smote = np.concatenate([y, np.repeat(list(self.smoteenn_.smote_.sampling_strategy_), list(self.smoteenn_.smote_.sampling_strategy_.values()))]) if generated else y
        wiped = [c for c in classes if c not in set(y_res.tolist())]
        self.restored_ = [str(c) for c in wiped]
        if wiped:
            log.warning("ENN removed every image of class(es) %s; their real images are restored", self.restored_)
            back = np.flatnonzero(np.isin(y, wiped))
            kept = np.concatenate([kept, back])
            X_res = np.concatenate([X_res, X[back]])
            y_res = np.concatenate([y_res, y[back]])
        self.real_index_ = np.where(kept < len(y), kept, -1)
        self.source_ = np.where(kept < len(y), "real", "smote").astype(object)
        self.counts_ = self._counts(y, y_smote, kept, len(y))
        return X_res, y_res

    @staticmethod
    def _counts(y, y_smote, kept, n_real) -> pd.DataFrame:
        rows = []
        kept_real, kept_smote = kept[kept < n_real], kept[kept >= n_real]
        for c in np.unique(y):
            rows.append(
                {
                    "label": c,
                    "real": int((y == c).sum()),
                    "after_smote": int((y_smote == c).sum()),
                    "after_enn_real": int((y[kept_real] == c).sum()),
                    "after_enn_smote": int((y_smote[kept_smote] == c).sum()),
                }
            )
        return pd.DataFrame(rows)


@dataclass
class ResampledFold:
    """A resampled training fold: images, labels, ids (real ids, or new ids for synthetic rows) and
    the source of each row."""

    x: np.ndarray
    y: np.ndarray
    id: np.ndarray
    source: np.ndarray
    counts: pd.DataFrame

    def arrays(self) -> dict[str, np.ndarray]:
        return {"x": self.x, "y": self.y, "id": self.id, "source": self.source}


def resample_fold(x: np.ndarray, y: np.ndarray, ids: np.ndarray, k_neighbors: int = 5, enn_neighbors: int = 3,
                  random_state: int = 0, id_prefix: str = "smote") -> ResampledFold:
    """SMOTEENN on one training fold of uint8 images (N, S, S); pixels are the feature vectors.

    Synthetic images are rounded back to uint8, so every arm's training set is images again.
    """
    n, side = x.shape[0], x.shape[1:]
    sampler = GuardedSMOTEENN(k_neighbors=k_neighbors, enn_neighbors=enn_neighbors, random_state=random_state)
    X_res, y_res = sampler.fit_resample(x.reshape(n, -1).astype(np.float32), np.asarray(y))
    x_res = np.clip(np.rint(X_res), 0, 255).astype(np.uint8).reshape(-1, *side)
    synthetic = sampler.real_index_ < 0
    out_ids = np.where(synthetic, "", ids[np.maximum(sampler.real_index_, 0)]).astype(object)
    out_ids[synthetic] = [f"{id_prefix}-{i:05d}" for i in range(int(synthetic.sum()))]
    counts = sampler.counts_
    for row in counts.itertuples():
        removed = row.real - row.after_enn_real
        log.info(
            "class '%s': %d real -> %d after SMOTE -> %d after ENN (%d real + %d smote); ENN removed %d real image(s)",
            row.label, row.real, row.after_smote, row.after_enn_real + row.after_enn_smote,
            row.after_enn_real, row.after_enn_smote, removed,
        )
    return ResampledFold(
        x=x_res, y=np.asarray(y_res).astype(str), id=out_ids.astype(str),
        source=sampler.source_.astype(str), counts=counts,
    )


def counts_table(fold: ResampledFold, dataset: str, repeat: int, fold_index: int) -> pd.DataFrame:
    """Long class-count table: dataset, repeat, fold, arm, step, label, real, smote, cgan, total.

    Steps: ``input`` (the real training images), ``after_smote``, ``final`` (after ENN); the
    ``original`` arm has only ``final``.
    """
    rows = []
    for r in fold.counts.itertuples():
        for arm, step, real, smote in (
            ("original", "final", r.real, 0),
            ("smoteenn", "input", r.real, 0),
            ("smoteenn", "after_smote", r.real, r.after_smote - r.real),
            ("smoteenn", "final", r.after_enn_real, r.after_enn_smote),
        ):
            rows.append({"dataset": dataset, "repeat": repeat, "fold": fold_index, "arm": arm, "step": step,
                         "label": r.label, "real": real, "smote": smote, "cgan": 0, "total": real + smote})
    return pd.DataFrame(rows)
