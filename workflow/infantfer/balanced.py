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
from .method import COMPARED_ARM, METHOD_CLASSIFIER
from .metrics import REGISTRY

log = logging.getLogger(__name__)

METRICS_DISPLAY = {name: metric.display for name, metric in REGISTRY.items()}
HIGHER = "higher"  # statistics.tsv's verdict of a real difference upwards (not within the rope)
BALANCED_WARN_SHARE = 0.9  # a balanced-set class below this share of its target is warned about
REMOVED_WARN_SHARE = 0.5  # ... and so is one that lost more than this share of its real images


DEFAULT_BALANCING = (COMPARED_ARM, "smoteenn")  # balanced.arm unset, or best without a winner: the first present


def class_balance(class_counts: pd.DataFrame) -> pd.Series:
    """Per arm, how balanced its training sets are: the mean over the folds of the smallest class's
    images over the largest's (Table 2's ``final`` step)."""
    final = class_counts[class_counts["step"] == "final"]
    per_fold = final.groupby(["arm", "repeat", "fold"], sort=False)["total"].agg(lambda t: t.min() / t.max())
    return per_fold.groupby(level="arm", sort=False).mean()


def best_arm(statistics: pd.DataFrame, class_counts: pd.DataFrame, arms: list[str], primary: str, reference: str,
             target_ratio: float, classifier: str = METHOD_CLASSIFIER) -> tuple[str, pd.DataFrame]:
    """``balanced.arm: best``: among the arms whose training sets balance (every class at least
    ``target_ratio`` x the largest, on average over the folds), the one the statistics call
    ``higher`` than ``reference`` on the ``primary`` metric by the most; where none is, the default
    balancing arm (cgan, else smoteenn, else the first that balances); where none balances, the most
    balanced. No arm wins by a mean alone: the one table the folds give cannot tell a winner of 0.1
    points from noise. Returns the winner and a table of every arm with ``chosen`` and ``why``."""
    balance = class_balance(class_counts).reindex(arms)
    mine = statistics[(statistics["classifier"] == classifier) & (statistics["metric"] == primary)
                      & (statistics["baseline"] == reference)].set_index("arm")
    table = pd.DataFrame({"arm": arms, "balance": balance.to_numpy(float)})
    table["balances"] = table["balance"] >= target_ratio
    table["verdict"] = table["arm"].map(mine["verdict"]).fillna("")
    table["mean_diff"] = table["arm"].map(mine["mean_diff"])
    name = METRICS_DISPLAY.get(primary, primary)
    higher = table[table["balances"] & (table["verdict"] == HIGHER)]
    if len(higher):
        winner = higher.loc[higher["mean_diff"].idxmax(), "arm"]
        why = (f"best: of the arms that balance, the one most higher than {reference} on {name} "
               f"(+{100 * higher['mean_diff'].max():.1f} points)")
    elif table["balances"].any():
        balancing = list(table.loc[table["balances"], "arm"])
        winner = next((a for a in DEFAULT_BALANCING if a in balancing), balancing[0])
        why = (f"best: no arm that balances is higher than {reference} on {name}, so the default balancing arm "
               f"({' else '.join(DEFAULT_BALANCING)}, else the first that balances)")
    else:
        winner = table.loc[table["balance"].idxmax(), "arm"]
        why = (f"best: no arm balances (smallest class at least {target_ratio:g} x the largest): the most balanced "
               f"({table['balance'].max():.2f})")
        log.warning("balanced set: %s", why)
    table["chosen"] = table["arm"] == winner
    table["why"] = np.where(table["chosen"], why, "")
    return str(winner), table


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


def chosen_arm(wanted: str, best_path=None) -> tuple[str, str]:
    """The balanced set's arm and why: ``balanced.arm``, or with ``best`` the winner ``best_arm.tsv``
    records."""
    if wanted != "best":
        default = " (the default when it is an arm: cgan, else smoteenn)" if wanted in DEFAULT_BALANCING else ""
        return wanted, f"balanced.arm is {wanted}{default}"
    table = read_tsv(best_path)
    row = table[as_bool(table["chosen"])].iloc[0]
    log.info("balanced.arm best: %s (%s)", row["arm"], row["why"])
    return str(row["arm"]), str(row["why"])


def balanced_set(arm: Arm, ts: TrainingSet, real_y: np.ndarray, classes: list[str], target_ratio: float,
                 out_dir: str | Path, gate: pd.DataFrame | None = None,
                 audit: pd.DataFrame | None = None, why: str = "") -> pd.DataFrame:
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
    report["why"] = why  # which arm's recipe, and why that one
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
    sizes = manifest.groupby(["label", "source"]).size()
    log.info("balanced set of arm %s: %s", name, ", ".join(f"{label} {source} {int(n)}" for (label, source), n in sizes.items()))
    for row in report.itertuples():
        log.info("class '%s': %d of target %d (%d of %d real images kept)", row.label, row.total, row.target,
                 row.real_kept, row.real_available)
        if row.warning:
            log.warning("balanced set, class '%s': %s", row.label, row.warning)
