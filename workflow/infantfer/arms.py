"""Arms: the training sets the comparison is made of, and how each is assembled.

An arm is one way of training the classifiers on a fold (``arms:`` in the config):

- a **resampler** (``none``, ``smoteenn``, or one of imbalanced-learn's over-samplers:
  ``smote``, ``random_over``, ``adasyn``, ``borderline_smote``) with its settings;
- whether a class-conditional **GAN** tops the resampled set up with gated generated images;
- whether the classifiers get **balanced sample weights**
  (``sklearn.utils.class_weight.compute_sample_weight("balanced")``).

The default arms are the thesis' four:

========================  ==========  =====  ===================================================
arm                       resampler   GAN    the classifier trains on
========================  ==========  =====  ===================================================
``original``              none        no     the real training images
``smoteenn``              smoteenn    no     their SMOTEENN output
``cgan``                  none        yes    the real training images + accepted generated
``smoteenn_cgan``         smoteenn    yes    the SMOTEENN output + accepted generated
========================  ==========  =====  ===================================================

Arms that share a resampler and its settings share a **base**: the base is resampled once per
fold, and one GAN is trained per fold and base however many arms use it (``cgan`` and a class-
weighted ``cgan`` share one). A base is named ``original`` (no resampler), the resampler's name
(its settings as the dataset's defaults), or the resampler with what differs
(``smoteenn_kind_sel-mode``). Test folds are always the fold's real test images.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .io.npz import TrainingSet

ORIGINAL = "original"  # the base of arms without a resampler: the real training images
GAN_SOURCE = "cgan"  # the source of the images a GAN adds


@dataclass(frozen=True)
class ResamplerKind:
    """A resampler an arm may name (``arms.<name>.resampler``): ``source``, what the rows it adds
    are called (a column of the class-count tables); ``settings``, the schema section that holds
    its settings and their defaults (a top-level section such as ``smoteenn`` is also each
    dataset's own, and an arm's ``params`` override it). The sampler itself is
    :func:`infantfer.resample.make_sampler`'s.

    Adding one: an entry here, its settings and its name in the schema's ``arm.resampler``, and,
    where imbalanced-learn's class needs guards of its own, a branch in
    :class:`infantfer.resample.GuardedOverSampler`. (Defined here, where no scikit-learn is
    imported, so that the jobs that only assemble tables start fast.)"""

    name: str
    source: str
    settings: str


RESAMPLERS: dict[str, ResamplerKind] = {r.name: r for r in (
    ResamplerKind("smoteenn", source="smote", settings="smoteenn"),
    ResamplerKind("smote", source="smote", settings="resamplers.smote"),
    ResamplerKind("adasyn", source="adasyn", settings="resamplers.adasyn"),
    ResamplerKind("borderline_smote", source="borderline_smote", settings="resamplers.borderline_smote"),
    ResamplerKind("random_over", source="random_over", settings="resamplers.random_over"),
)}
SOURCE_OF = {name: kind.source for name, kind in RESAMPLERS.items()}  # resampler -> the source its new rows get
# column order of the class-count tables: real, then each source that can add images
SOURCES = (*dict.fromkeys(SOURCE_OF.values()), GAN_SOURCE)


@dataclass(frozen=True)
class Arm:
    """One arm, resolved: ``params`` are the resampler's full settings."""

    name: str
    resampler: str = "none"
    params: dict = field(default_factory=dict, hash=False, compare=False)
    gan: bool = False
    class_weight: str = "none"
    base: str = ORIGINAL

    @property
    def resampled(self) -> bool:
        return self.resampler != "none"


def base_name(resampler: str, params: dict, defaults: dict) -> str:
    """``original``, the resampler's name, or the resampler plus the settings that differ from
    ``defaults`` (a hash when that would be long)."""
    if resampler == "none":
        return ORIGINAL
    differ = {k: v for k, v in sorted(params.items()) if defaults.get(k) != v}
    if not differ:
        return resampler
    slug = "_".join(f"{k}-{v}" for k, v in differ.items())
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", slug).strip("-")
    if len(slug) > 40:
        slug = hashlib.sha256(json.dumps(differ, sort_keys=True, default=str).encode()).hexdigest()[:10]
    return f"{resampler}_{slug}"


def arms_of(ds: dict) -> dict[str, Arm]:
    """The resolved arms of a dataset's settings (``ds["arms"]``, filled by infantfer.config)."""
    return {name: Arm(name=name, **spec) for name, spec in ds["arms"].items()}


def resampled_bases(arms: dict[str, Arm]) -> dict[str, Arm]:
    """Base name -> an arm that defines it, for every base that is resampled (config order)."""
    out: dict[str, Arm] = {}
    for arm in arms.values():
        if arm.resampled:
            out.setdefault(arm.base, arm)
    return out


def gan_bases(arms: dict[str, Arm]) -> list[str]:
    """Bases a GAN is trained on (config order, each once)."""
    return list(dict.fromkeys(a.base for a in arms.values() if a.gan))


def count_columns(arms: dict[str, Arm]) -> list[str]:
    """Source columns of the class-count tables for these arms."""
    present = {SOURCE_OF[a.resampler] for a in arms.values() if a.resampled}
    if any(a.gan for a in arms.values()):
        present.add(GAN_SOURCE)
    return [s for s in SOURCES if s in present]


def training_set(arm: Arm, real: TrainingSet, resampled: dict[str, TrainingSet],
                 topped: dict[str, TrainingSet]) -> TrainingSet:
    """What an arm's classifiers train on: the base (real or resampled), topped up by its GAN."""
    if arm.gan:
        return topped[arm.base]
    return resampled[arm.base] if arm.resampled else real


def _counts(step: str, ts: TrainingSet, classes: list[str], columns: list[str]) -> list[dict]:
    rows = []
    for c in classes:
        mine = np.asarray(ts.source)[np.asarray(ts.y) == c]
        row = {"step": step, "label": c, "real": int((mine == "real").sum())}
        row.update({s: int((mine == s).sum()) for s in columns})
        rows.append(row)
    return rows


def class_counts(arms: dict[str, Arm], sets: dict[str, TrainingSet], steps: dict[str, pd.DataFrame],
                 resampled: dict[str, TrainingSet], classes: list[str], dataset: str, repeat, fold,
                 real_y: np.ndarray) -> pd.DataFrame:
    """Per arm and class, the images of each source after each step (the thesis' Table 2), and
    ``real_removed``: how many of the fold's real training images of the class (``real_y``) the
    step no longer holds (ENN's cleaning).

    Arms with a resampler show the base's steps (``input``, the sampler's own, e.g.
    ``after_smote``) and, when a GAN tops them up, ``resampled``; every arm ends with ``final``,
    what its classifiers train on.
    """
    columns = count_columns(arms)
    rows = []
    for arm in arms.values():
        mine = []
        if arm.resampled:
            base_steps = steps[arm.base]
            for step in base_steps["step"].unique():
                if step == "resampled":
                    continue
                for r in base_steps[base_steps["step"] == step].to_dict("records"):
                    mine.append({"step": step, "label": r["label"], "real": r["real"],
                                 **{s: int(r.get(s, 0)) for s in columns}})
            if arm.gan:
                mine += _counts("resampled", resampled[arm.base], classes, columns)
        mine += _counts("final", sets[arm.name], classes, columns)
        rows += [{"dataset": dataset, "repeat": repeat, "fold": fold, "arm": arm.name, **r} for r in mine]
    table = pd.DataFrame(rows, columns=["dataset", "repeat", "fold", "arm", "step", "label", "real", *columns])
    table["total"] = table[["real", *columns]].sum(axis=1)
    available = {c: int((np.asarray(real_y) == c).sum()) for c in classes}
    table["real_removed"] = table["label"].map(available) - table["real"]
    return table


def gate_tables_by_arm(arms: dict[str, Arm], tables: dict[str, list[pd.DataFrame]]) -> pd.DataFrame:
    """The gate's tables (per base, one per part) as one table with an ``arm`` column: each GAN
    arm's rows, arms in config order, parts in order. Two arms sharing a base share its rows."""
    out = []
    for arm in arms.values():
        if arm.gan:
            for table in tables[arm.base]:
                t = table.copy()
                t.insert(1, "arm", arm.name)
                out.append(t)
    return pd.concat(out, ignore_index=True)


def join_by_arm(gan_arms: dict[str, str], runs: list[tuple[str, str]], tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Per-run tables (one per fold GAN run, in the order of ``runs``: (part, base) pairs) as one
    table with an ``arm`` column, by :func:`gate_tables_by_arm`. ``gan_arms``: GAN arm -> base."""
    by_base: dict[str, list[pd.DataFrame]] = {}
    for (_, base), table in zip(runs, tables, strict=True):
        by_base.setdefault(base, []).append(table)
    return gate_tables_by_arm({name: Arm(name=name, gan=True, base=base) for name, base in gan_arms.items()}, by_base)
