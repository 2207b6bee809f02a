"""The GAN top-up as an imbalanced-learn over-sampler: :class:`CGANOversampler`.

What the workflow does per fold (train a class-conditional GAN on the training images, gate its
checkpoints, top classes up from each accepted class's chosen checkpoint), in one object that fits
an ``imblearn.pipeline.Pipeline``. It follows imbalanced-learn's conventions: parameters are stored
as given and validated in ``fit_resample``; ``sampling_strategy`` has imbalanced-learn's meanings
(``"auto"``, ``"minority"``, ``"not minority"``, ``"not majority"``, ``"all"``, a float for two
classes, a dict of wanted totals, a callable), resolved by imbalanced-learn itself into
``sampling_strategy_``: images to generate per class.

It gates by default: a class whose checkpoints all fail the gate gets no generated image (the
workflow's rule), so the resampled counts can fall short of ``sampling_strategy_``; ``gate_table_``
says why and ``n_generated_`` what was drawn. ``gate=False`` draws from the last checkpoint.

X holds square greyscale images as rows of pixels in [0, 255] (N, S*S), as in the workflow's
balanced set; the GAN code itself (:mod:`infantfer.cgan`) needs only torch and numpy.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from numbers import Integral

import numpy as np
import pandas as pd
from imblearn.over_sampling.base import BaseOverSampler
from sklearn.utils._param_validation import Interval

from .cgan import CGANConfig, generate, train_cgan
from .gate import GateSettings, gate_run
from .io.npz import TrainingSet
from .parts import top_up_seed


class CGANOversampler(BaseOverSampler):
    """Top classes up with images from a class-conditional GAN trained on (X, y), gated.

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
        imbalanced-learn's meanings; ``sampling_strategy_`` (after fitting) holds the images to
        generate per class.
    cgan : dict or None
        CGANConfig fields (the schema's ``cgan`` section); None: the defaults. ``size`` 0 or
        absent: the images' side.
    gate : bool or dict, default=True
        Gate the checkpoints (dict: GateSettings fields, e.g. ``{"n_draws": 5}``) and draw from
        each accepted class's chosen checkpoint; False: draw every class from the last checkpoint.
    checkpoint_dir : str, path or None
        Where to train (a run there is resumed); None: a temporary folder, removed afterwards.
    random_state : int or None
        Seeds the GAN (overrides ``cgan["seed"]``), the gate and the drawn noise.
    threads : int or None
        torch threads while training.

    Attributes
    ----------
    sampling_strategy_ : dict, class -> images wanted
    n_generated_ : dict, class -> images drawn (less than wanted for a class the gate refused)
    gate_table_ : pandas.DataFrame or None, the gate's table (every checkpoint x class)
    sample_source_ : ndarray, 'real' or 'cgan' per output row
    checkpoint_ : dict, class -> checkpoint step drawn from
    """

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        "cgan": [dict, None],
        "gate": ["boolean", dict],
        "checkpoint_dir": [str, os.PathLike, None],
        "threads": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, *, sampling_strategy="auto", cgan=None, gate=True, checkpoint_dir=None, random_state=None,
                 threads=None):
        super().__init__(sampling_strategy=sampling_strategy)
        self.cgan = cgan
        self.gate = gate
        self.checkpoint_dir = checkpoint_dir
        self.random_state = random_state
        self.threads = threads

    def _config(self, side: int) -> CGANConfig:
        settings = dict(self.cgan or {})
        unknown = sorted(set(settings) - set(CGANConfig().to_dict()))
        if unknown:
            raise ValueError(f"cgan: unknown field(s) {unknown}; CGANConfig has {sorted(CGANConfig().to_dict())}")
        if not settings.get("size"):
            settings["size"] = side
        if self.random_state is not None:
            settings["seed"] = int(self.random_state)
        return CGANConfig.from_dict({**CGANConfig().to_dict(), **settings})

    def _gate_settings(self, seed: int) -> dict:
        settings = dict(self.gate) if isinstance(self.gate, dict) else {}
        known = set(GateSettings.__dataclass_fields__)
        if set(settings) - known:
            raise ValueError(f"gate: unknown field(s) {sorted(set(settings) - known)}; GateSettings has {sorted(known)}")
        return {"seed": seed, **settings}

    def _fit_resample(self, X, y):
        side = math.isqrt(X.shape[1])
        if side * side != X.shape[1]:
            raise ValueError(f"X rows of {X.shape[1]} values are not square images: give (N, S*S) pixels")
        if X.size and (np.nanmin(X) < 0 or np.nanmax(X) > 255):
            raise ValueError("X must hold pixels in [0, 255]")
        images = np.clip(np.rint(X), 0, 255).astype(np.uint8).reshape(len(X), side, side)
        classes = np.unique(y)
        codes = np.searchsorted(classes, y)
        wanted = {c: int(n) for c, n in self.sampling_strategy_.items() if n > 0}
        self.n_generated_ = {c: 0 for c in wanted}
        self.gate_table_, self.checkpoint_ = None, {}
        if not wanted:
            self.sample_source_ = np.full(len(y), "real")
            return X.copy(), y.copy()
        cfg = self._config(side)
        tmp = None
        folder = self.checkpoint_dir
        if folder is None:
            tmp = folder = tempfile.mkdtemp(prefix="infantfer-cgan-")
        try:
            checkpoints = train_cgan(images, codes, len(classes), cfg, folder, threads=self.threads)
            steps = pd.DataFrame({"checkpoint": [int(p.stem.split("_")[1]) for p in checkpoints],
                                  "path": [str(p) for p in checkpoints]})
            if not isinstance(self.gate, dict) and not self.gate:
                chosen = {c: steps.iloc[-1] for c in wanted}
            else:
                real = TrainingSet(images, y.astype(str), np.arange(len(y)).astype(str), np.full(len(y), "real"))
                self.gate_table_ = gate_run(real, steps, [str(c) for c in classes], self._gate_settings(cfg.seed),
                                            face_size=side, seed=cfg.seed)
                picked = self.gate_table_[self.gate_table_["chosen"]].set_index("class")["checkpoint"]
                chosen = {c: steps.set_index("checkpoint").loc[[int(picked[str(c)])]].reset_index().iloc[0]
                          for c in wanted if str(c) in picked.index}
            xs, ys = [], []
            for c, row in chosen.items():
                code = int(np.searchsorted(classes, c))
                drawn = generate(row["path"], np.full(wanted[c], code), seed=top_up_seed(cfg.seed, code),
                                 size=side, device="cpu")
                xs.append(drawn.reshape(len(drawn), -1).astype(X.dtype))
                ys.append(np.full(len(drawn), c, dtype=y.dtype))
                self.n_generated_[c] = len(drawn)
                self.checkpoint_[c] = int(row["checkpoint"])
        finally:
            if tmp:
                shutil.rmtree(tmp, ignore_errors=True)
        n_new = sum(self.n_generated_.values())
        self.sample_source_ = np.array(["real"] * len(y) + ["cgan"] * n_new)
        if not n_new:
            return X.copy(), y.copy()
        return np.concatenate([X, *xs]), np.concatenate([y, *ys])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
