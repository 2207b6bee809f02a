"""The per-dataset figures of the report, from the dataset's tables and the first fold's training
sets (what each figure shows: workflow/report/fig_*.rst): rule figures' five, and the faces and gate
figures, planned only where there is something to show."""

from __future__ import annotations

import pandas as pd

from ..io.tsv import as_bool
from .style import _part_names
from .counts import class_counts_figure, class_order, class_order_of_folds
from .faces import sample_faces_figure
from .forest import forest_figure
from .gate import js_figure, most_accepted_part
from .metrics import confusion_figure, metric_folds_figure, per_class_f1_figure


def sample_sets(samples: list[dict], arrays: list[dict], js: pd.DataFrame | None,
                part: str | None = None) -> tuple[dict, list[str], dict]:
    """The faces figure's sets of one fold: name -> (x, y, source) of each sample file (a GAN base's
    generated rows only: its SMOTE rows are drawn from the resampled set's row), the GAN sets'
    names, and per GAN set the classes its arms' gate accepted in that fold. ``samples``: part,
    name and GAN arms of each file (rule faces_figure's params), ``arrays``: each file's arrays, in
    the same order; ``part``: the fold (default: the first sample's)."""
    sets, gan_sets, accepted = {}, [], {}
    part = part or (samples[0].get("part") if samples else None)
    rows = None if js is None else js[_part_names(js) == part] if part else js
    for sample, a in zip(samples, arrays):
        if sample.get("part", part) != part:
            continue
        x, y, source = a["x"], a["y"], a["source"]
        if sample["gan_arms"]:
            keep = source == "cgan"
            x, y, source = x[keep], y[keep], source[keep]
            gan_sets.append(sample["name"])
            mine = rows[rows["arm"].isin(sample["gan_arms"])]
            accepted[sample["name"]] = sorted(set(mine.loc[as_bool(mine["chosen"]).to_numpy(), "class"]))
        sets[sample["name"]] = (x, y, source)
    return sets, gan_sets, accepted


def draw_all(tables: dict, out, reference: str) -> None:
    """Rule figures: class_counts, metrics, confusion, per_class and forest into ``out``.

    ``tables``: class_counts, metrics, confusion, per_class, statistics (``statistics.tsv``) and
    per_class_statistics (its per-class recall comparisons, drawn below the forest plot's metrics);
    ``reference``: the arm the forest plot's differences are from. Classes are minority first."""
    order = class_order(tables["class_counts"])
    class_counts_figure(tables["class_counts"], out["class_counts"])
    metric_folds_figure(tables["metrics"], out["metrics"], reference=reference)
    confusion_figure(tables["confusion"], out["confusion"], class_order=order)
    per_class_f1_figure(tables["per_class"], out["per_class"], class_order=order)
    forest_figure(tables["statistics"], out["forest"], reference=reference, per_class=tables.get("per_class_statistics"),
                  class_order=order)


def draw_faces(folds: pd.DataFrame, samples: list[dict], arrays: list[dict], js: pd.DataFrame | None,
               out_png, show_real: bool, real: tuple | None = None, part: str | None = None) -> None:
    """Rule faces_figure (planned for a dataset with a GAN arm, or with report.show_real_faces): of
    the first fold, each GAN base's generated faces (and which classes its gate accepted) and each
    resampled base's synthetic images; real faces only where ``show_real`` allows."""
    sets, gan_sets, accepted = sample_sets(samples, arrays, js, part)
    sample_faces_figure(sets, out_png, show_real=show_real, real=real, class_order=class_order_of_folds(folds),
                        gan_sets=gan_sets, accepted=accepted)


def draw_gate(js: pd.DataFrame, out_png, gate: dict) -> None:
    """Rule gate_figure (planned for a dataset with a GAN arm): the gate over checkpoints, with the
    margins of ``gate`` (the gate's settings) drawn."""
    js_figure(js, out_png, js_margin=gate["js_margin"], fidelity_margin=gate["fidelity_margin"])
