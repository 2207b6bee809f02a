"""The balanced set users take home: the arm it is made from (``balanced.arm``, or the best arm of
the folds), its images as PNGs with a manifest, and a per-class report of how close each class
came to its target.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd

from .arms import SOURCES, Arm, count_columns
from .io.npz import TrainingSet
from .io.tsv import as_bool, read_tsv, write_tsv
from .io.filenames import path_part
from .method import METHOD_CLASSIFIER
from .metrics import METRICS

log = logging.getLogger(__name__)

BALANCED_WARN_SHARE = 0.9  # a balanced-set class below this share of its target is warned about
REMOVED_WARN_SHARE = 0.5  # ... and so is one that lost more than this share of its real images


def best_arm(metrics: pd.DataFrame, classifier: str = METHOD_CLASSIFIER, metric: str = METRICS[0]) -> tuple[str, pd.DataFrame]:
    """The arm with the highest mean ``metric`` of ``classifier`` over the folds (ties: config
    order, i.e. first in ``metrics``). This is model selection on the same folds the arms are
    compared on: the winner's score is optimistic."""
    mine = metrics[metrics["classifier"] == classifier]
    if mine.empty:
        raise ValueError(f"no metrics of classifier {classifier!r} to choose the best arm from; "
                         "add it to evaluate.classifiers or name balanced.arm")
    means = mine.groupby("arm", sort=False)[metric].agg(["mean", "std", "count"]).reset_index()
    means = means.rename(columns={"mean": f"{metric}_mean", "std": f"{metric}_sd", "count": "n"})
    if means[f"{metric}_mean"].isna().all():
        raise ValueError(f"no fold has a {metric} of {classifier} (a class is missing from every test fold?): "
                         "no arm can be called best; name balanced.arm")
    if means["n"].nunique() > 1:
        log.warning("best arm: the arms have %s over different numbers of folds %s", metric,
                    dict(zip(means["arm"], means["n"])))
    best = means.loc[means[f"{metric}_mean"].idxmax(), "arm"]
    means["chosen"] = means["arm"] == best
    return str(best), means


def read_best_arm(path) -> str:
    """The winner recorded in a ``best_arm.tsv`` written from :func:`best_arm`."""
    table = read_tsv(path)
    return table.loc[as_bool(table["chosen"]), "arm"].iloc[0]


def balanced_classes(ts: TrainingSet, base_y: np.ndarray, real_y: np.ndarray, classes: list[str],
                     target_ratio: float, sources: list[str] | None = None) -> pd.DataFrame:
    """Per class of a balanced set: its target (``target_ratio`` x the largest class of the arm's
    base set, as the GAN top-up uses), the user's real images available and kept, the images of
    each source, and a warning when the class is short of its target or lost most of its real
    images. ``sources``: the source columns to report (default: every source)."""
    sources = list(SOURCES) if sources is None else sources
    base_counts = {c: int((np.asarray(base_y) == c).sum()) for c in classes}
    target = math.ceil(target_ratio * max(base_counts.values()))
    rows = []
    for c in classes:
        mine = np.asarray(ts.source)[np.asarray(ts.y) == c]
        available = int((np.asarray(real_y) == c).sum())
        kept = int((mine == "real").sum())
        row = {"label": c, "target": target, "real_available": available, "real_kept": kept,
               "real_dropped": available - kept}  # by the recipe's cleaning (ENN), never by the export
        row.update({s: int((mine == s).sum()) for s in sources})
        row["total"] = int(len(mine))
        row["share_of_target"] = round(len(mine) / target, 4) if target else float("nan")
        row["real_removed_share"] = round(1 - kept / available, 4) if available else 0.0
        warnings = []
        if len(mine) < BALANCED_WARN_SHARE * target:
            warnings.append(f"{len(mine)} images, below {BALANCED_WARN_SHARE:.0%} of the target {target}")
        if available and kept < (1 - REMOVED_WARN_SHARE) * available:
            warnings.append(f"only {kept} of the {available} real images kept")
        row["warning"] = "; ".join(warnings)
        rows.append(row)
    return pd.DataFrame(rows)


def export_balanced(ts: TrainingSet, out_dir: str | Path) -> pd.DataFrame:
    """PNG files ``<label>/<id>.png`` and ``manifest.tsv`` (id, file, label, source, checkpoint).
    Folder and file names are :func:`infantfer.io.path_part` of the label and id, never the raw
    text: a label such as ``../x`` or ``/srv/x`` stays inside ``out_dir``."""
    from PIL import Image

    out_dir = Path(out_dir)
    folders: dict[str, str] = {}
    for label in dict.fromkeys(str(y) for y in ts.y):
        other = folders.setdefault(path_part(label).casefold(), label)  # folders ignore case on macOS, Windows
        if other != label:
            raise ValueError(f"labels {other!r} and {label!r} share the folder name {path_part(label)!r}")
    rows = []
    for x, y, i, s, step in zip(ts.x, ts.y, ts.id, ts.source, ts.arrays()["checkpoint"]):
        rel = Path(path_part(str(y))) / f"{path_part(str(i))}.png"
        (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(x).save(out_dir / rel)
        rows.append({"id": i, "file": rel.as_posix(), "label": y, "source": s, "checkpoint": int(step) if step >= 0 else ""})
    manifest = pd.DataFrame(rows, columns=["id", "file", "label", "source", "checkpoint"])
    write_tsv(manifest, out_dir / "manifest.tsv")
    return manifest


def chosen_arm(wanted: str, best_path=None) -> str:
    """The balanced set's arm: ``balanced.arm``, or with ``best`` the winner ``best_arm.tsv`` records."""
    if wanted != "best":
        return wanted
    name = read_best_arm(best_path)
    log.info("balanced.arm best: %s won (mean f1_adaboost macro F1 over the folds)", name)
    return name


def balanced_set(arm: Arm, ts: TrainingSet, real_y: np.ndarray, classes: list[str], target_ratio: float,
                 out_dir: str | Path, gate: pd.DataFrame | None = None,
                 audit: pd.DataFrame | None = None) -> pd.DataFrame:
    """Write the arm's set ``ts`` (made from every real image) to ``out_dir``: its PNGs and manifest,
    with a GAN its gate table and privacy audit, and ``classes.tsv``, the per-class report it returns."""
    out_dir = Path(out_dir)
    manifest = export_balanced(ts, out_dir)
    if arm.gan:
        _write_gan_tables(arm.name, gate, audit, out_dir)
    # the target follows the GAN top-up's: target_ratio x the largest class of the arm's base set
    base_y = ts.y[ts.source != "cgan"]
    report = balanced_classes(ts, base_y, real_y, classes, target_ratio, count_columns({arm.name: arm}))
    report.insert(0, "arm", arm.name)
    write_tsv(report, out_dir / "classes.tsv")
    _log_report(arm.name, manifest, report)
    return report


def _write_gan_tables(name: str, gate: pd.DataFrame, audit: pd.DataFrame, out_dir: Path) -> None:
    """The gate table and privacy audit of the set's GAN, each with an ``arm`` column."""
    gate.insert(1, "arm", name)
    write_tsv(gate, out_dir / "gate.tsv")
    audit.insert(1, "arm", name)  # every real image trained the GAN: no membership AUC
    write_tsv(audit, out_dir / "privacy.tsv")
    audit_ok = as_bool(audit["copy_ok"])
    for i, row in audit[audit["n_generated"] > 0].iterrows():
        log.log(logging.INFO if audit_ok[i] else logging.WARNING,
                "privacy, class '%s': %d generated images, copy share %.3f (pixels %.3f, features %.3f)%s",
                row["class"], row["n_generated"], row["copy_share"], row["copy_share_pixels"],
                row["copy_share_features"], "" if audit_ok[i] else ": above privacy.max_copy_share")


def _log_report(name: str, manifest: pd.DataFrame, report: pd.DataFrame) -> None:
    log.info("balanced set of arm %s: %s", name, manifest.groupby(["label", "source"]).size().to_dict())
    for row in report.itertuples():
        log.info("class '%s': %d of target %d (%d of %d real images kept)", row.label, row.total, row.target,
                 row.real_kept, row.real_available)
        if row.warning:
            log.warning("balanced set, class '%s': %s", row.label, row.warning)
