"""Rule figures: every per-dataset figure of the report, from the dataset's tables and the first
fold's training sets (what each figure shows: workflow/report/fig_*.rst)."""

from __future__ import annotations

import pandas as pd

from ..io import as_bool
from .counts import class_counts_figure, class_order
from .faces import sample_faces_figure
from .gate import js_figure
from .metrics import confusion_figure, metric_folds_figure, per_class_f1_figure


def sample_sets(samples: list[dict], arrays: list[dict], js: pd.DataFrame | None) -> tuple[dict, list[str], dict]:
    """The faces figure's sets of the first fold: name -> (x, y, source) of each sample file (a GAN
    base's generated rows only: its SMOTE rows are drawn from the resampled set's row), the GAN
    sets' names, and per GAN set the classes its arms' gate accepted. ``samples``: name and GAN
    arms of each file (rule figures' params), ``arrays``: each file's arrays, in the same order."""
    sets, gan_sets, accepted = {}, [], {}
    first = None if js is None else js[(js["repeat"] == js["repeat"].min())]
    for sample, a in zip(samples, arrays):
        x, y, source = a["x"], a["y"], a["source"]
        if sample["gan_arms"]:
            keep = source == "cgan"
            x, y, source = x[keep], y[keep], source[keep]
            gan_sets.append(sample["name"])
            mine = first[(first["fold"] == first["fold"].min()) & first["arm"].isin(sample["gan_arms"])]
            accepted[sample["name"]] = sorted(set(mine.loc[as_bool(mine["chosen"]).to_numpy(), "class"]))
        sets[sample["name"]] = (x, y, source)
    return sets, gan_sets, accepted


def draw_all(tables: dict, samples: list[dict], arrays: list[dict], out, show_real: bool, gate: dict,
             real: tuple | None = None) -> None:
    """Draw the six figures into ``out`` (class_counts, faces, gate, metrics, confusion, per_class).

    ``tables``: class_counts, js (None without a GAN arm), metrics, confusion and per_class;
    ``real``: (x, y) of the real faces, drawn only with ``show_real``; ``gate``: the gate's settings
    (its margins are drawn). Classes are minority first in every figure."""
    js = tables["js"]
    order = class_order(tables["class_counts"])
    class_counts_figure(tables["class_counts"], out["class_counts"])
    # of the first fold: each GAN base's generated faces (and which classes its gate accepted), each
    # resampled base's synthetic images; real faces only where report.show_real_faces allows
    sets, gan_sets, accepted = sample_sets(samples, arrays, js)
    sample_faces_figure(sets, out["faces"], show_real=show_real, real=real, class_order=order, gan_sets=gan_sets,
                        accepted=accepted)
    js_figure(js, out["gate"], js_margin=gate["js_margin"], fidelity_margin=gate["fidelity_margin"])
    metric_folds_figure(tables["metrics"], out["metrics"])
    confusion_figure(tables["confusion"], out["confusion"], class_order=order)
    per_class_f1_figure(tables["per_class"], out["per_class"], class_order=order)
