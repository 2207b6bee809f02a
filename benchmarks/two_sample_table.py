"""Issue N's two-sample table, redone on a finished run: how well four classifier two-sample tests
tell a fold GAN's images from the real training faces of their class, at chosen checkpoints,
beside the same tests on real half against real half (their null).

    .venv/bin/python benchmarks/two_sample_table.py results/demo --steps 1000 3000
    .venv/bin/python benchmarks/two_sample_table.py results/adult_sample --steps 1000 3000 --parts r0_f0 r0_f1

Run it from the project the results are in (checkpoint paths are relative to it). For each fold
GAN of the arm (its real training faces from ``results/<d>/faces.npz`` and ``folds/``, its
checkpoints and class codes from ``results/<d>/cgan/<part>_<arm>/checkpoints.tsv``) and each class with at
least --min-images training faces: as many generated faces of that class as real ones (one seed),
and four tests, each a 5-fold stratified cross-validated ROC AUC of a classifier that separates
real (0) from generated (1):

- pixels: PCA-10 + standardise + logistic regression (as the gate's ``c2st_auc``, which uses 3 folds,
  a randomized PCA and another solver);
- HOG: OpenCV's HOG over the whole face (cells of 4 px, blocks of 2 x 2 cells one cell apart,
  9 bins: at 16 px the issue's window 16, block 8, stride 4, cell 4) + standardise + logistic
  regression (C = 0.1);
- texture: the gate's ``texture_features`` (that HOG plus the radially averaged power spectrum),
  the same classifier (the gate's ``texture_auc``, there with 3 folds);
- boosting: scikit-learn's GradientBoostingClassifier (100 trees of depth 3) on the raw pixels.

The null: the class's real faces split in two random halves, --draws times (so it compares n/2 with
n/2 faces where the GAN's test compares n with n). Prints the table
(means over classes and folds) and per class; --out writes every row as TSV.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.decomposition import PCA
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from infantfer.cgan import generate
from infantfer.gan_run import part_sets, read_checkpoint_list
from infantfer.gate.two_sample import TEXTURE_C, _hog, texture_features

FOLDS = 5
TESTS = ("pixels", "HOG", "texture", "boosting")


def _auc(model, features_a: np.ndarray, features_b: np.ndarray) -> float:
    x = np.concatenate([features_a, features_b]).astype(np.float32)
    y = np.r_[np.zeros(len(features_a), np.int64), np.ones(len(features_b), np.int64)]
    cv = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
    with sklearn.config_context(assume_finite=True):
        return float(np.mean(cross_val_score(model, x, y, cv=cv, scoring="roc_auc")))


def two_sample_aucs(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """The four tests' AUCs for uint8 face stacks a (real, 0) and b (1), (n, S, S) each."""
    pixels_a, pixels_b = a.reshape(len(a), -1), b.reshape(len(b), -1)
    logistic = make_pipeline(StandardScaler(), LogisticRegression(C=TEXTURE_C, max_iter=2000))
    n_comp = min(10, len(a) * (FOLDS - 1) // FOLDS, len(b) * (FOLDS - 1) // FOLDS)
    return {
        "pixels": _auc(make_pipeline(PCA(n_components=n_comp, random_state=0), StandardScaler(),
                                     LogisticRegression(max_iter=1000)), pixels_a, pixels_b),
        "HOG": _auc(logistic, _hog(a), _hog(b)),
        "texture": _auc(logistic, texture_features(a), texture_features(b)),
        "boosting": _auc(GradientBoostingClassifier(random_state=0), pixels_a, pixels_b),
    }


def fold_gans(results: Path, arm: str, parts: list[str] | None) -> list[tuple[str, Path, Path]]:
    """(part, folds table, checkpoints.tsv) of each finished fold GAN of the arm, in part order."""
    found = []
    for listing in sorted((results / "cgan").glob(f"r*_f*_{arm}/checkpoints.tsv")):
        part = listing.parent.name[: -len(arm) - 1]
        if parts is None or part in parts:
            found.append((part, results / "folds" / f"{part.split('_')[0]}.tsv", listing))
    return found


def table_rows(results: Path, arm: str, steps: list[int], parts: list[str] | None, min_images: int,
               draws: int) -> pd.DataFrame:
    rows = []
    for part, folds, listing in fold_gans(results, arm, parts):
        checkpoints, classes = read_checkpoint_list(listing)  # classes: the GAN's label codes, in order
        paths = dict(zip(checkpoints["checkpoint"], checkpoints["path"]))
        missing = [step for step in steps if step not in paths]
        if missing:
            raise SystemExit(f"{listing} has no checkpoint at step(s) {missing}: pick --steps among {sorted(paths)}")
        real = part_sets(results / "faces.npz", folds, part)[0]
        x, y = real.x, real.y.astype(str)
        for code, c in enumerate(classes):
            faces = x[y == str(c)]
            if len(faces) < min_images:
                continue
            for d in range(draws):
                half_a, half_b = np.array_split(np.random.default_rng(d).permutation(faces), 2)
                rows.append({"part": part, "class": c, "n": len(faces), "against": "real half", "draw": d,
                             **two_sample_aucs(half_a, half_b)})
            for step in steps:
                fake = generate(paths[step], np.full(len(faces), code), seed=0, size=faces.shape[1], device="cpu")
                rows.append({"part": part, "class": c, "n": len(faces), "against": f"step {step}", "draw": 0,
                             **two_sample_aucs(faces, fake)})
            print(f"{part} {c}: done", flush=True)
    return pd.DataFrame(rows)


def summary(rows: pd.DataFrame, steps: list[int]) -> str:
    columns = [f"step {s}" for s in steps] + ["real half"]
    # a class's halves first averaged over draws, so every class weighs the same
    per_class = rows.groupby(["against", "part", "class"])[list(TESTS)].mean()
    mean = per_class.groupby("against").mean()
    lines = ["| two-sample test | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for test in TESTS:
        lines.append(f"| {test} | " + " | ".join(f"{mean.loc[c, test]:.2f}" for c in columns) + " |")
    lines += ["", "| class | test | " + " | ".join(columns) + " |", "|---" * (len(columns) + 2) + "|"]
    by_class = per_class.groupby(["against", "class"]).mean()
    for c in sorted(rows["class"].unique()):
        for test in TESTS:
            lines.append(f"| {c} | {test} | " + " | ".join(f"{by_class.loc[(a, c), test]:.2f}" for a in columns) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="a finished run's results/<dataset>")
    parser.add_argument("--arm", default="original", help="the fold GANs' base arm (original: the cgan arm)")
    parser.add_argument("--steps", type=int, nargs="+", default=[1000, 3000])
    parser.add_argument("--parts", nargs="+", default=None, help="e.g. r0_f0 r0_f1 (default: every fold)")
    parser.add_argument("--min-images", type=int, default=10)
    parser.add_argument("--draws", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.min_images < 2 * FOLDS:
        parser.error(f"--min-images must be at least {2 * FOLDS}: each real half needs {FOLDS} faces")
    rows = table_rows(args.results, args.arm, args.steps, args.parts, args.min_images, args.draws)
    if rows.empty:
        raise SystemExit(f"no fold GAN of arm {args.arm!r} with checkpoints under {args.results}")
    if args.out:
        rows.to_csv(args.out, sep="\t", index=False)
    print(summary(rows, args.steps))


if __name__ == "__main__":
    main()
