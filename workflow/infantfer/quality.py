"""How good a fold's GAN is, per checkpoint, measured as the field does, for the report only.

- CAS (Classification Accuracy Score; Ravuri & Vinyals, NeurIPS 2019; "GAN-train" in Shmelkov et
  al., ECCV 2018): a classifier (standardise -> PCA-30 -> logistic regression, C = 0.1) fitted on
  generated images only, as many per class as the fold has real training images, scored by macro
  F1 on the fold's real test images; ``cas_ratio`` divides it by the same classifier fitted on the
  real training images, ``cas_corrected`` is (CAS - chance) / (real - chance), chance being the
  expected macro F1 of uniform guessing on the test labels.
- The same for a generator without skill (``trivial_*``: each class's mean face plus Gaussian noise
  of the class's per-pixel sd), so a reader sees what "no skill" scores.
- The membership-inference AUC of the checkpoint's images (:func:`infantfer.privacy.membership_inference_auc`),
  beside the gate's two-sample AUCs (pixels; local edges and texture against the training images)
  and copy share of the same checkpoint: a GAN that copied its training photos would score well on
  CAS, so the curves are read together.
- The texture two-sample test against the fold's held-out real images (``texture_auc_heldout_mean``,
  per class as many generated as held-out images, the mean over the classes with enough): a GAN
  that copies its training images scores at or below 0.5 against them (a held-out copy's twin sits on
  the other side of the split), not against images it never saw (tests/test_quality.py).
  Per class too (:func:`quality_tables`), beside the gate's tests against the training images.
It needs the fold's test images, so nothing that decides (the gate, the checkpoint choice) ever
sees it; the balanced set's all-images GAN has no test images and gets none.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from .arms import join_by_arm
from .images import flat
from .io.tsv import read_numeric_tsv
from .parts import quality_draw_seed

log = logging.getLogger(__name__)

COMPONENTS, C = 30, 0.1
COLUMNS = ["checkpoint", "cas", "cas_real", "chance", "cas_ratio", "cas_corrected", "trivial_cas",
           "trivial_cas_ratio", "trivial_cas_corrected", "c2st_auc_mean", "texture_auc_mean", "texture_auc_heldout_mean",
           "copy_share_max", "mia_auc_pixels", "mia_auc_features", "n_test"]
# per checkpoint x class: the gate's two-sample tests against the training images (with their
# real-half baselines) beside the texture test against the fold's held-out images
GATE_CLASS_COLUMNS = ["c2st_auc", "c2st_baseline", "texture_auc", "texture_baseline"]
CLASS_COLUMNS = ["checkpoint", "class", "n_train", "n_heldout", *GATE_CLASS_COLUMNS, "texture_auc_heldout"]


def _classifier(n: int, d: int, seed: int):
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    k = int(max(1, min(COMPONENTS, n - 1, d)))
    return make_pipeline(StandardScaler(), PCA(n_components=k, random_state=seed),
                         LogisticRegression(C=C, max_iter=5000, random_state=seed))


def macro_f1_of(train_x, train_y, test_x, test_y, classes, seed: int) -> float:
    """Macro F1 on the test images of the classifier fitted on the training images (0 when the
    training images hold fewer than two classes: nothing to tell apart)."""
    from sklearn.metrics import f1_score

    train_y = np.asarray(train_y)
    if len(np.unique(train_y)) < 2:
        return 0.0
    clf = _classifier(len(train_x), flat(train_x).shape[1], seed).fit(flat(train_x) / 255.0, train_y)
    return float(f1_score(test_y, clf.predict(flat(test_x) / 255.0), labels=classes, average="macro", zero_division=0))


def chance_f1(test_y, classes) -> float:
    """Expected macro F1 of guessing each class uniformly: per class precision n_c / N, recall 1 / K."""
    test_y = np.asarray(test_y)
    k, n = len(classes), len(test_y)
    scores = []
    for c in classes:
        p = float((test_y == c).sum()) / n if n else 0.0
        scores.append(2 * p * (1 / k) / (p + 1 / k) if p > 0 else 0.0)
    return float(np.mean(scores))


def trivial_images(real_x, real_y, counts: dict, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A generator without skill: each class's mean face plus Gaussian noise of its per-pixel sd."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for c, n in counts.items():
        own = np.asarray(real_x, np.float64)[np.asarray(real_y) == c]
        draw = own.mean(axis=0) + rng.standard_normal((n, *own.shape[1:])) * own.std(axis=0)
        xs.append(np.clip(np.rint(draw), 0, 255).astype(np.uint8))
        ys.append(np.full(n, c))
    return np.concatenate(xs), np.concatenate(ys)


def heldout_texture_aucs(g: np.ndarray, gy: np.ndarray, test_x: np.ndarray, test_y: np.ndarray,
                         seed: int) -> dict:
    """The texture two-sample test (infantfer.gate.two_sample.texture_auc) of each class's
    generated images against its held-out real ones, as many of each: {class: AUC}, NaN for a class
    with too few images for the test."""
    from .gate.two_sample import texture_auc, texture_features

    values = {}
    for c in np.unique(test_y):
        held = np.asarray(test_x)[np.asarray(test_y) == c]
        drawn = np.asarray(g)[np.asarray(gy) == c][: len(held)]
        values[c] = texture_auc(texture_features(held[: len(drawn)]), texture_features(drawn), seed)
    return values


def heldout_texture_auc(g: np.ndarray, gy: np.ndarray, test_x: np.ndarray, test_y: np.ndarray, seed: int) -> float:
    """:func:`heldout_texture_aucs`' mean over the classes with enough images for the test (NaN
    where none has)."""
    return _mean_of_finite(heldout_texture_aucs(g, gy, test_x, test_y, seed))


def _mean_of_finite(per_class: dict) -> float:
    values = [v for v in per_class.values() if np.isfinite(v)]
    return float(np.mean(values)) if values else float("nan")


def _ratios(cas: float, real: float, chance: float) -> tuple[float, float]:
    ratio = cas / real if real > 0 else float("nan")
    corrected = (cas - chance) / (real - chance) if real > chance else float("nan")
    return ratio, corrected


def quality_run(real, test_x, test_y, checkpoints: pd.DataFrame, classes: list[str], gate_table: pd.DataFrame,
                face_size: int, seed: int) -> pd.DataFrame:
    """One fold GAN run's quality at each of its checkpoints (see the module docstring)."""
    return quality_tables(real, test_x, test_y, checkpoints, classes, gate_table, face_size, seed)[0]


def quality_tables(real, test_x, test_y, checkpoints: pd.DataFrame, classes: list[str], gate_table: pd.DataFrame,
                   face_size: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`quality_run`'s table, and the two-sample tests per checkpoint x class
    (:data:`CLASS_COLUMNS`): the gate's against the training images beside the texture test against
    the fold's held-out images, so a reader sees which class's images are far from real."""
    from .cgan import generate  # torch: imported only where images are drawn
    from .privacy import membership_inference_auc

    counts = {c: int((real.y == c).sum()) for c in classes if (real.y == c).any()}
    held_counts = {c: int((np.asarray(test_y) == c).sum()) for c in classes}
    real_f1 = macro_f1_of(real.x, real.y, test_x, test_y, classes, seed)
    chance = chance_f1(test_y, classes)
    tx, ty = trivial_images(real.x, real.y, counts, seed)
    trivial = macro_f1_of(tx, ty, test_x, test_y, classes, seed)
    rows, class_rows = [], []
    for row in checkpoints.itertuples():
        xs = [generate(row.path, np.full(n, classes.index(c)), seed=quality_draw_seed(seed, classes.index(c)),
                       size=face_size, device="cpu") for c, n in counts.items()]
        g = np.concatenate(xs)
        gy = np.concatenate([np.full(n, c) for c, n in counts.items()])
        cas = macro_f1_of(g, gy, test_x, test_y, classes, seed)
        gate = gate_table[gate_table["checkpoint"] == row.checkpoint]
        texture = gate["texture_auc"].mean() if "texture_auc" in gate else float("nan")
        heldout = heldout_texture_aucs(g, gy, test_x, test_y, seed)
        rows.append({"checkpoint": int(row.checkpoint), "cas": cas, "cas_real": real_f1, "chance": chance,
                     **dict(zip(("cas_ratio", "cas_corrected"), _ratios(cas, real_f1, chance))),
                     "trivial_cas": trivial,
                     **dict(zip(("trivial_cas_ratio", "trivial_cas_corrected"), _ratios(trivial, real_f1, chance))),
                     "c2st_auc_mean": float(gate["c2st_auc"].mean()), "texture_auc_mean": float(texture),
                     "texture_auc_heldout_mean": _mean_of_finite(heldout),
                     "copy_share_max": float(gate["copy_share"].max()),
                     **membership_inference_auc(g, real.x, test_x, seed=seed), "n_test": len(test_y)})
        for c, n in counts.items():
            judged = gate[gate["class"] == c]
            class_rows.append({"checkpoint": int(row.checkpoint), "class": c, "n_train": n,
                               "n_heldout": held_counts.get(c, 0),
                               **{col: float(judged[col].iloc[0]) if col in judged and len(judged) else float("nan")
                                  for col in GATE_CLASS_COLUMNS},
                               "texture_auc_heldout": float(heldout.get(c, float("nan")))})
        log.info("quality: checkpoint %d: CAS ratio %.2f (trivial %.2f), two-sample AUC %.2f (pixels), %.2f (texture; "
                 "%.2f against held-out images), membership AUC %.2f", row.checkpoint, rows[-1]["cas_ratio"],
                 rows[-1]["trivial_cas_ratio"], rows[-1]["c2st_auc_mean"], rows[-1]["texture_auc_mean"],
                 rows[-1]["texture_auc_heldout_mean"], rows[-1]["mia_auc_pixels"])
    return pd.DataFrame(rows, columns=COLUMNS), pd.DataFrame(class_rows, columns=CLASS_COLUMNS)


# A move counts when it is larger than this floor and than the standard error of the folds' own
# changes (the quick run's 3 folds differ by 0.1-0.3 in CAS ratio at one checkpoint). Two-sample AUCs at
# or below AUC_REAL are as close to real as the test can tell, and at or above AUC_FAR the images
# are told from real almost perfectly: training has not got far yet.
TREND_AUC, TREND_CAS, AUC_REAL, AUC_FAR = 0.02, 0.03, 0.6, 0.95
TREND_COLUMNS = ["arm", "from_step", "to_step", "auc_from", "auc_to", "cas_from", "cas_to", "texture_to", "trend"]


def _direction(per_fold: pd.DataFrame, column: str, floor: float) -> int:
    """The sign of the folds' mean change of a column, 0 unless it clears the floor and its SE."""
    change = (per_fold[f"{column}_to"] - per_fold[f"{column}_from"]).dropna()
    if not len(change):
        return 0
    se = float(change.std(ddof=1) / np.sqrt(len(change))) if len(change) > 1 else 0.0
    return int(np.sign(change.mean())) if abs(change.mean()) >= max(floor, se) else 0


def _trend(per_fold: pd.DataFrame) -> str:
    auc_to = per_fold["c2st_auc_mean_to"].mean()
    if auc_to >= AUC_FAR:
        return "far"
    auc = _direction(per_fold, "c2st_auc_mean", TREND_AUC)
    if max(per_fold["c2st_auc_mean_from"].mean(), auc_to) <= AUC_REAL:
        auc = 0
    cas = _direction(per_fold, "cas_ratio", TREND_CAS)
    better, worse = (auc < 0) + (cas > 0), (auc > 0) + (cas < 0)
    return "mixed" if better and worse else "improving" if better else "worse" if worse else "levelled"


def training_trend(table: pd.DataFrame) -> pd.DataFrame:
    """How each GAN arm's fold GANs moved over the last third of training, from the quality table
    (the gate's two-sample AUC and the CAS ratio): at the last checkpoint against the last one at or
    before two thirds of the run, fold by fold. ``trend`` is ``far`` (still told from real almost
    perfectly), ``improving``, ``worse``, ``mixed`` (one better, the other worse) or ``levelled``.
    Arms with fewer than two checkpoints or no finite values get no row. It advises; nothing decides by it."""
    rows = []
    for arm, mine in table.groupby("arm", sort=False):
        steps = np.sort(mine["checkpoint"].unique())
        last, earlier = int(steps[-1]), steps[steps <= 2 * steps[-1] / 3]
        if not len(earlier):
            continue
        before = int(earlier[-1])
        keys, columns = ["repeat", "fold"], ["c2st_auc_mean", "cas_ratio"]
        at = {step: mine[mine["checkpoint"] == step].set_index(keys)[columns] for step in (before, last)}
        per_fold = at[before].add_suffix("_from").join(at[last].add_suffix("_to"), how="inner")
        if per_fold.empty or per_fold.isna().all().any():
            continue
        rows.append({"arm": arm, "from_step": before, "to_step": last,
                     "auc_from": per_fold["c2st_auc_mean_from"].mean(), "auc_to": per_fold["c2st_auc_mean_to"].mean(),
                     "cas_from": per_fold["cas_ratio_from"].mean(), "cas_to": per_fold["cas_ratio_to"].mean(),
                     "texture_to": (float(mine.loc[mine["checkpoint"] == last, "texture_auc_mean"].mean())
                                    if "texture_auc_mean" in mine else float("nan")),
                     "trend": _trend(per_fold)})
    return pd.DataFrame(rows, columns=TREND_COLUMNS)


def collect_quality(paths: list, runs: list[tuple[str, str]], gan_arms: dict[str, str]) -> pd.DataFrame:
    """The per-run quality tables (in the order of ``runs``) as one table with an arm column; the
    per-class tables alike."""
    return join_by_arm(gan_arms, runs, [read_numeric_tsv(p) for p in paths])
