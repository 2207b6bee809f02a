"""Which boosting variant wins where: f1_adaboost, samme and the two half-way variants, on the
demo and on the shared adult sample, for the original and SMOTEENN arms (a benchmark, not a test).

Runs the package's own stages (ingest -> faces -> grouped folds -> SMOTEENN -> evaluate), so the
figures are what the workflow would produce with these settings:

    .venv/bin/python benchmarks/compare_boosting.py [--folds 5 --repeats 2 --rounds 50]
"""
from __future__ import annotations

import argparse
import logging
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from infantfer.config import resolve_config
from infantfer.evaluate import evaluate_fold
from infantfer.statistics import summarise
from infantfer.faces import extract_faces
from infantfer.ingest import ingest
from infantfer.threads import limit_threads
from infantfer.resample import resample_fold
from infantfer.split import fold_indices, make_folds

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces_adult_sample"
VARIANTS = {
    "f1_alpha_only": {"alpha_from": "f1", "class_factor": "none"},
    "error_alpha_f1_factor": {"alpha_from": "error", "class_factor": "f1"},
}


def datasets(tmp: Path) -> dict:
    found = {"demo": {"layout": "demo", "faces": {"detector": "none"}}}
    if (SHARED / "labels.csv").is_file():
        found["adult_sample"] = {"layout": "csv", "path": str(SHARED), "manifest": "labels.csv",
                                 "group_column": "subject", "faces": {"detector": "blazeface"}}
    else:
        print(f"shared adult sample not found at {SHARED}: skipped")
    return found


def run(name: str, ds: dict, tmp: Path) -> pd.DataFrame:
    manifest = ingest(ds, image_dir=tmp / name)
    faces, _ = extract_faces(manifest, **ds["faces"])
    images = pd.DataFrame({"id": faces["id"], "label": faces["y"], "group": faces["group"]})
    images["sha256"] = manifest.set_index("id").loc[images["id"], "sha256"].to_numpy()
    split = ds["split"]
    folds = make_folds(images, split["folds"], split["repeats"], split["seed"], dataset=name)
    classes = sorted(set(faces["y"].tolist()))
    tables = []
    for repeat in range(split["repeats"]):
        for fold in range(split["folds"]):
            train, test = fold_indices(folds, faces["id"], repeat, fold)
            resampled = resample_fold(faces["x"][train], faces["y"][train], faces["id"][train],
                                      random_state=1000 * repeat + fold)
            arms = {"original": (faces["x"][train], faces["y"][train]), "smoteenn": (resampled.x, resampled.y)}
            result = evaluate_fold(arms, faces["x"][test], faces["y"][test], faces["id"][test], classes,
                                   ds["evaluate"], name, repeat, fold)
            tables.append(result.metrics)
            print(f"  {name} r{repeat} f{fold} done", flush=True)
    return pd.concat(tables, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--features", default="pixels", choices=["pixels", "hog"])
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    limit_threads(1)
    print(f"machine: {platform.platform()}, {platform.machine()}, cpu_count {os.cpu_count()}, 1 thread")
    with tempfile.TemporaryDirectory() as tmp:
        config = resolve_config({
            "datasets": datasets(Path(tmp)),
            "split": {"folds": args.folds, "repeats": args.repeats, "seed": 0},
            "evaluate": {"n_estimators": args.rounds, "features": args.features, "variants": VARIANTS},
        })
        start = time.perf_counter()
        metrics = pd.concat([run(n, ds, Path(tmp)) for n, ds in config["datasets"].items()], ignore_index=True)
    summary = summarise(metrics)
    print(f"\n{args.repeats} repeat(s) x {args.folds} grouped folds, {args.rounds} rounds, depth 3, "
          f"{args.features} ({time.perf_counter() - start:.0f} s)")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(summary.round(3).to_string(index=False))
    for (dataset, arm), table in summary.groupby(["dataset", "arm"]):
        boosted = table[table["classifier"] != "chance"]
        best = {m: boosted.loc[boosted[f"{m}_mean"].idxmax(), "classifier"] for m in ("macro_f1", "g_mean", "auc_ovr")}
        print(f"best on {dataset} / {arm}: " + ", ".join(f"{m} {c}" for m, c in best.items()))


if __name__ == "__main__":
    main()
