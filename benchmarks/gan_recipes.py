"""How a GAN recipe's quality moves with training steps (issue I): the gate's verdicts, its
two-sample AUC and noise ratio, and the CAS ratio of infantfer.quality, per checkpoint, on the
demo's faces (any size) or the shared adult sample, through infantfer's own functions.

    .venv/bin/python benchmarks/gan_recipes.py --size 16 --steps 2000 --every 250 --folds 0 \
        --recipe base --recipe nearest:upsample=nearest --split-seed 1

A recipe is NAME[:key=value,...] over the quick demo's GAN settings (config/quick.yaml's cgan
section, the demo's until issue N, where the tables in benchmarks/README.md start; at the given
size); values are read as YAML. Tune on another --split-seed than the one reported.
Another dataset's faces: --faces results/<d>/faces.npz (its labels and groups; --n-folds to match).

    .venv/bin/snakemake --cores 2 --configfile config/adult_sample.yaml results/adult_sample/faces.npz
    .venv/bin/python benchmarks/gan_recipes.py --faces results/adult_sample/faces.npz --n-folds 5 \
        --size 32 --steps 4000 --every 500 --recipe shipped:batch_size=64,lr_d=0.0002,g_width=64,d_width=64
Prints one row per recipe x fold x checkpoint and writes them to --out (TSV). --keep DIR keeps each
run's checkpoints in DIR/<recipe>_f<fold>_<size>px_split<S>_seed<G> (empty or absent: a GAN finds
its finished checkpoints there and would not retrain) for other tests, such as two_sample_table.py's.
"""
from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from sklearn.model_selection import StratifiedGroupKFold

from infantfer.cgan import CGANConfig, train_cgan
from infantfer.config import load_config
from infantfer.demo import generate_demo
from infantfer.faces import whole_image
from infantfer.gan_run import gate_checkpoints
from infantfer.gate import gate_run
from infantfer.io.npz import TrainingSet, read_faces_npz
from infantfer.parts import checkpoints_in
from infantfer.quality import quality_run

REPO = Path(__file__).resolve().parents[1]


def demo_faces(size: int, seed: int = 0):
    demo = generate_demo(seed=seed)
    x = np.stack([whole_image(img, size=size) for img in demo.images])
    return x, np.asarray(demo.labels).astype(str), np.asarray(demo.groups).astype(str)


def recipes(specs: list[str], size: int) -> dict[str, dict]:
    base = load_config(REPO / "config" / "config.yaml", REPO / "config" / "quick.yaml")["datasets"]["demo_quick"]["cgan"]
    out = {}
    for spec in specs:
        name, _, changes = spec.partition(":")
        settings = {**base, "size": size}
        for item in filter(None, changes.split(",")):
            key, _, value = item.partition("=")
            settings[key] = yaml.safe_load(value)
        out[name] = settings
    return out


def save_grid(path: Path, checkpoint: str, real: TrainingSet, classes: list[str], per_class: int = 12) -> None:
    """Real (upper row) and generated (lower row) faces of each class, 4x enlarged, to look at."""
    from PIL import Image

    from infantfer.cgan import generate

    rows = []
    per_class = min(per_class, *((real.y == c).sum() for c in classes))  # rows of one width
    for code, c in enumerate(classes):
        r = real.x[real.y == c][:per_class]
        g = generate(checkpoint, np.full(len(r), code), seed=0, size=real.x.shape[1], device="cpu")
        rows.append(np.concatenate([np.concatenate(list(r), 1), np.concatenate(list(g), 1)], 0))
    grid = np.concatenate(rows, 0)
    Image.fromarray(grid).resize((grid.shape[1] * 4, grid.shape[0] * 4), Image.NEAREST).save(path)


def run(settings: dict, real: TrainingSet, test_x, test_y, classes, steps: int, every: int, seed: int,
        grid: Path | None = None, keep: Path | None = None) -> pd.DataFrame:
    keys = {f.name for f in CGANConfig.__dataclass_fields__.values()}
    cfg = CGANConfig.from_dict({**{k: v for k, v in settings.items() if k in keys}, "steps": steps,
                                "checkpoint_every": every, "device": "cpu", "seed": seed})
    # --keep: the checkpoints stay there, for other tests to read
    with contextlib.nullcontext(keep) if keep else tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        train_cgan(real.x, np.searchsorted(classes, real.y), len(classes), cfg, tmp, threads=1)
        seconds = time.perf_counter() - start
        found = gate_checkpoints(checkpoints_in(tmp), steps, every)
        checkpoints = pd.DataFrame({"checkpoint": [s for s, _ in found], "path": [str(p) for _, p in found]})
        gate = gate_run(real, checkpoints, classes, {}, face_size=real.x.shape[1], seed=0)
        quality = quality_run(real, test_x, test_y, checkpoints, classes, gate, face_size=real.x.shape[1], seed=0)
        if grid:
            save_grid(grid, str(found[-1][1]), real, classes)
    by_step = gate.groupby("checkpoint")
    summary = pd.DataFrame({
        "passed": by_step.apply(lambda t: ",".join(t.loc[t["passed"], "class"])),
        "noise_ratio": by_step["noise_ratio"].mean(), "sharpness_ratio": by_step["sharpness_ratio"].mean(),
        "c2st_auc": by_step["c2st_auc"].mean(), "texture_auc": by_step["texture_auc"].mean(),
        "texture_baseline": by_step["texture_baseline"].mean()}).reset_index()
    # issue N's excess over the null, (AUC - null) / (trivial - null), on the class means: the
    # trivial generator (a class's mean face plus noise) scores 1.0 on the calibration sets, the
    # null is the real halves' baseline
    null = summary["texture_baseline"]
    summary["texture_excess"] = (summary["texture_auc"] - null) / (1.0 - null)
    table = summary.merge(quality[["checkpoint", "cas_ratio", "trivial_cas_ratio", "texture_auc_heldout_mean",
                                   "mia_auc_pixels"]], on="checkpoint")
    table["train_s"] = round(seconds, 1)
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=16)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--every", type=int, default=250)
    ap.add_argument("--folds", type=int, nargs="+", default=[0])
    ap.add_argument("--faces", type=Path, default=None, help="a run's faces.npz instead of the demo's faces")
    ap.add_argument("--n-folds", type=int, default=3)
    ap.add_argument("--split-seed", type=int, default=1)
    ap.add_argument("--gan-seed", type=int, default=0)
    ap.add_argument("--recipe", action="append", default=None)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--grids", type=Path, default=None, help="a folder for each run's last-checkpoint grid")
    ap.add_argument("--keep", type=Path, default=None, help="keep each run's checkpoints in a folder under this one")
    args = ap.parse_args()
    if args.faces:
        faces = read_faces_npz(args.faces)
        x, y, groups = faces["x"], faces["y"].astype(str), faces["group"].astype(str)
        if x.shape[1] != args.size:
            ap.error(f"{args.faces} holds {x.shape[1]} px faces; pass --size {x.shape[1]}")
    else:
        x, y, groups = demo_faces(args.size)
    classes = sorted(set(y))
    folds = list(StratifiedGroupKFold(n_splits=args.n_folds, shuffle=True, random_state=args.split_seed).split(x, y, groups))
    rows = []
    for name, settings in recipes(args.recipe or ["base"], args.size).items():
        for f in args.folds:
            train, test = folds[f]
            real = TrainingSet(x[train], y[train], np.array([f"i{i}" for i in train]), np.full(len(train), "real"),
                               group=groups[train])
            grid = args.grids / f"{name}_f{f}_{args.size}px.png" if args.grids else None
            keep = None
            if args.keep:
                keep = args.keep / f"{name}_f{f}_{args.size}px_split{args.split_seed}_seed{args.gan_seed}"
                if keep.exists() and any(keep.iterdir()):  # train_cgan would resume it, not train
                    ap.error(f"{keep} is not empty: remove it or pick another --keep folder")
            table = run(settings, real, x[test], y[test], classes, args.steps, args.every, args.gan_seed, grid, keep)
            table.insert(0, "fold", f)
            table.insert(0, "recipe", name)
            print(table.round(3).to_string(index=False), flush=True)
            rows.append(table)
    out = pd.concat(rows, ignore_index=True)
    if args.out:
        out.to_csv(args.out, sep="\t", index=False)


if __name__ == "__main__":
    main()
