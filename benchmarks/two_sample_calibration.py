"""Calibrate the two-sample tests before reading GAN results with them (issue N): on real faces of
one class, each test's AUC for real half vs real half (its null), and for the other half altered
as a GAN's failures look (blur, grain, the mean face plus noise, an upsampling checkerboard), at
the sizes the workflow uses. Prints a Markdown table (benchmarks/README.md holds the run's).

    .venv/bin/python benchmarks/two_sample_calibration.py [--adult ../shared/data/faces_adult_sample]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_two_sample import altered, demo_faces  # noqa: E402  (the tests' own cases, so the table is theirs)

from infantfer.gate.two_sample import c2st_auc, texture_auc, texture_features  # noqa: E402

KINDS = [None, "blur", "grain", "mean face + noise", "checkerboard"]


def adult_faces(root: Path, size: int, label: str = "happiness") -> np.ndarray:
    import pandas as pd
    from PIL import Image

    labels = pd.read_csv(root / "labels.csv")
    files = labels[labels.label == label]["file"]
    return np.stack([np.asarray(Image.open(root / f).convert("L").resize((size, size))) for f in files])


def table(name: str, x: np.ndarray, draws: int) -> list[str]:
    rows = []
    for kind in KINDS:
        pixels, texture = [], []
        for s in range(draws):
            real, other = np.split(np.random.default_rng(s).permutation(x)[: len(x) // 2 * 2], 2)
            other = other if kind is None else altered(other, kind, seed=s)
            pixels.append(c2st_auc(real, other, seed=0))
            texture.append(texture_auc(texture_features(real), texture_features(other), seed=0))
        rows.append(f"| {name} | {kind or 'real half (null)'} | {np.min(pixels):.2f}-{np.max(pixels):.2f} | "
                    f"{np.min(texture):.2f}-{np.max(texture):.2f} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adult", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
                        / "faces_adult_sample")
    parser.add_argument("--draws", type=int, default=5)
    args = parser.parse_args()
    print("| faces | the other half | pixels: PCA-10 + logistic (c2st_auc) | edges and texture (texture_auc) |")
    print("|---|---|---|---|")
    for line in table("demo, 16 px, 120 cry", demo_faces(120, 16), args.draws):
        print(line)
    for line in table("demo, 32 px, 120 cry", demo_faces(120, 32), args.draws):
        print(line)
    if (args.adult / "labels.csv").is_file():
        for size in (32, 48):
            for line in table(f"adult sample, {size} px, 90 happiness", adult_faces(args.adult, size), args.draws):
                print(line)


if __name__ == "__main__":
    main()
