"""SMOTEENN's cleaning, measured: how many real images each resampler variant removes and what the
classifiers make of it, on the demo and on the shared adult sample (a benchmark, not a test).

Runs the package's own stages (ingest -> faces -> grouped folds -> resample -> evaluate), so the
figures are what the workflow's arms with these settings would produce:

    .venv/bin/python benchmarks/compare_resamplers.py [--folds 5 --repeats 1 --rounds 50]
"""
from __future__ import annotations

import argparse
import logging
import os
import platform
import tempfile
import time
from pathlib import Path

import pandas as pd

from infantfer.config import resolve_config
from infantfer.evaluate import evaluate_fold
from infantfer.statistics import summarise
from infantfer.faces import extract_faces
from infantfer.ingest import ingest
from infantfer.threads import limit_threads
from infantfer.resample import resample_fold
from infantfer.parts import fold_seed
from infantfer.split import fold_indices, make_folds

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces_adult_sample"
# arm -> (resampler, params); "none" trains on the real images
VARIANTS = {
    "none": ("none", {}),
    "smoteenn pixels all": ("smoteenn", {}),
    "smoteenn pixels mode": ("smoteenn", {"kind_sel": "mode"}),
    "smoteenn pca50 all": ("smoteenn", {"space": "pca", "pca_components": 50}),
    "smoteenn pca50 mode": ("smoteenn", {"space": "pca", "pca_components": 50, "kind_sel": "mode"}),
    "smote": ("smote", {}),
    "random_over": ("random_over", {}),
}


def datasets(face_size: int) -> dict:
    found = {"demo": {"layout": "demo", "faces": {"detector": "none", "size": face_size}}}
    if (SHARED / "labels.csv").is_file():
        found["adult_sample"] = {"layout": "csv", "path": str(SHARED), "manifest": "labels.csv",
                                 "group_column": "subject", "faces": {"detector": "blazeface", "size": 48}}
    else:
        print(f"shared adult sample not found at {SHARED}: skipped")
    return found


def run(name: str, ds: dict, tmp: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    manifest = ingest(ds, image_dir=tmp / name)
    faces, _ = extract_faces(manifest, **ds["faces"])
    images = pd.DataFrame({"id": faces["id"], "label": faces["y"], "group": faces["group"]})
    images["sha256"] = manifest.set_index("id").loc[images["id"], "sha256"].to_numpy()
    split = ds["split"]
    folds = make_folds(images, split["folds"], split["repeats"], split["seed"], dataset=name)
    classes = sorted(set(faces["y"].tolist()))
    metrics, removed = [], []
    for repeat in range(split["repeats"]):
        for fold in range(split["folds"]):
            train, test = fold_indices(folds, faces["id"], repeat, fold)
            x, y, ids = faces["x"][train], faces["y"][train], faces["id"][train]
            arms = {}
            for arm, (resampler, params) in VARIANTS.items():
                if resampler == "none":
                    arms[arm] = (x, y)
                    continue
                out = resample_fold(x, y, ids, resampler=resampler, params={**ds["smoteenn"], **params},
                                    random_state=fold_seed(0, repeat, fold))
                arms[arm] = (out.x, out.y)
                steps = out.steps.set_index(["step", "label"])
                for c in classes:
                    removed.append({"dataset": name, "arm": arm, "fold": fold, "label": c,
                                    "real": int(steps.loc[("input", c), "real"]),
                                    "kept": int(steps.loc[("resampled", c), "real"])})
            result = evaluate_fold(arms, faces["x"][test], faces["y"][test], faces["id"][test], classes,
                                   ds["evaluate"], name, repeat, fold)
            metrics.append(result.metrics)
            print(f"  {name} r{repeat} f{fold} done", flush=True)
    return pd.concat(metrics, ignore_index=True), pd.DataFrame(removed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--demo-size", type=int, default=24, help="the demo's face size (config/demo.yaml)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    limit_threads(1)
    print(f"machine: {platform.platform()}, {platform.machine()}, cpu_count {os.cpu_count()}, 1 thread")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        config = resolve_config({
            "datasets": datasets(args.demo_size),
            "split": {"folds": args.folds, "repeats": args.repeats, "seed": 0},
            "evaluate": {"n_estimators": args.rounds, "classifiers": ["f1_adaboost", "samme"]},
        })
        results = [run(n, ds, Path(tmp)) for n, ds in config["datasets"].items()]
    metrics = pd.concat([m for m, _ in results], ignore_index=True)
    removed = pd.concat([r for _, r in results], ignore_index=True)
    summary = summarise(metrics)
    print(f"\n{args.repeats} repeat(s) x {args.folds} grouped folds, {args.rounds} rounds, depth 3, pixels "
          f"({time.perf_counter() - start:.0f} s)")
    table = summary.pivot_table(index=["dataset", "arm"], columns="classifier",
                                values=["macro_f1_mean", "macro_f1_sd"], sort=False).round(3)
    kept = removed.groupby(["dataset", "arm", "label"], sort=False).agg(real=("real", "mean"), kept_min=("kept", "min"),
                                                                       kept_max=("kept", "max"))
    with pd.option_context("display.width", 220, "display.max_columns", 20, "display.max_rows", 200):
        print(table.to_string())
        print("\nreal training images per fold and how many each variant kept (min-max over folds):")
        print(kept.round(1).to_string())


if __name__ == "__main__":
    main()
