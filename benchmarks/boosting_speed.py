"""Fit-time ratio F1AdaBoostClassifier / sklearn's SAMME AdaBoostClassifier, and CV macro F1.

Run: .venv/bin/python benchmarks/boosting_speed.py [--repeats 9] [--demo-repeats 5]
     [--rounds 50] [--depth 3]

(a) sklearn's digits made imbalanced (classes 0-4 keep 180 images, 5-9 keep 20);
(b) the demo set's pixels (48 x 48 greyscale in [0, 1], flattened), if infantfer.demo exists.
The target is a ratio <= 1.1 (median over repeats, same rounds, depth and seed).
Then 5-fold stratified CV macro F1 (mean +- sd) of f1_adaboost, samme and two ablations on (a).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import sklearn
from sklearn.datasets import load_digits
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

from infantfer.classifiers import make_classifier


def imbalanced_digits():
    X, y = load_digits(return_X_y=True)
    keep = np.concatenate(
        [np.flatnonzero(y == c)[: 180 if c < 5 else 20] for c in range(10)]
    )
    return X[keep], y[keep]


def demo_pixels():
    from infantfer.demo import generate_demo  # another module; may not exist yet

    demo = generate_demo(size=48)  # the side the faces stage gives every later stage
    grey = np.asarray(demo.images, dtype=np.float64).mean(axis=3) / 255.0
    return grey.reshape(len(grey), -1), np.asarray(demo.labels)


def _timed_fit(clf, X, y):
    start = time.perf_counter()
    clf.fit(X, y)
    return time.perf_counter() - start, clf


def speed(label, X, y, spec, repeats, warm_up=True):
    """Print median fit times and ratios to sklearn's SAMME (same rounds, depth, seed).

    f1_adaboost / samme is the asked-for ratio; its trees differ from SAMME's (other
    weights), so it also reflects tree shapes.  "same trees" is our class run as SAMME
    (alpha_from="error", class_factor="none"), which grows the very same trees: it isolates
    the boosting loop's own overhead.  Fits are interleaved and each ratio is the median of
    per-repeat ratios, so that load drifting during the run hits both sides alike.
    """
    makers = {
        "f1_adaboost": lambda: make_classifier("f1_adaboost", spec, 0),
        "same trees": lambda: make_classifier(
            "samme_ours", {**spec, "alpha_from": "error", "class_factor": "none"}, 0
        ),
        "samme": lambda: make_classifier("samme", spec, 0),
    }
    if warm_up:
        for make in makers.values():
            make().fit(X, y)
    times = {name: [] for name in makers}
    fitted = {}
    for _ in range(repeats):
        for name, make in makers.items():
            t, fitted[name] = _timed_fit(make(), X, y)
            times[name].append(t)
    samme = np.array(times["samme"])
    print(f"[{label}] X {X.shape}, {len(np.unique(y))} classes, median of {repeats}:")
    for name in makers:
        t = np.array(times[name])
        line = f"  {name:12s} {np.median(t) * 1e3:9.1f} ms  {len(fitted[name].estimators_):3d} trees"
        if name != "samme":
            line += f"  ratio to samme {np.median(t / samme):.3f}"
        print(line)


def cv_macro_f1(X, y, spec):
    variants = {
        "f1_adaboost": {},
        "samme": {},
        "alpha f1 / class none": {"kind": "f1_adaboost", "class_factor": "none"},
        "alpha error / class f1": {"kind": "f1_adaboost", "alpha_from": "error"},
        "alpha error / class none": {
            "kind": "f1_adaboost",
            "alpha_from": "error",
            "class_factor": "none",
        },
        "chance": {},
    }
    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))
    print("5-fold stratified CV macro F1 on imbalanced digits (mean +- sd):")
    for name, extra in variants.items():
        scores = []
        for i, (train, test) in enumerate(folds):
            clf = make_classifier(name, {**spec, **extra}, i).fit(X[train], y[train])
            scores.append(f1_score(y[test], clf.predict(X[test]), average="macro"))
        print(f"  {name:26s} {np.mean(scores):.4f} +- {np.std(scores, ddof=1):.4f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--demo-repeats", type=int, default=5, help="its fits take seconds")
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--depth", type=int, default=3)
    args = parser.parse_args()
    spec = {"n_estimators": args.rounds, "max_depth": args.depth, "learning_rate": 1.0}

    print(
        f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
        f"cpu_count {os.cpu_count()}, python {platform.python_version()}, "
        f"numpy {np.__version__}, scikit-learn {sklearn.__version__}"
    )
    print(f"{args.rounds} rounds, depth {args.depth}, learning_rate 1.0, random_state 0")
    X, y = imbalanced_digits()
    speed("imbalanced digits", X, y, spec, args.repeats)
    try:
        Xd, yd = demo_pixels()
    except ImportError as exc:
        print(f"[demo pixels] skipped: infantfer.demo not importable ({exc})")
    else:
        speed("demo pixels", Xd, yd, spec, args.demo_repeats, warm_up=False)
    cv_macro_f1(X, y, spec)


if __name__ == "__main__":
    main()
