"""Rule evaluate_fold: every arm x classifier of one fold, scored on its real test images."""
import numpy as np

from infantfer.augment import TrainingSet
from infantfer.evaluate import evaluate_fold
from infantfer.faces import read_faces_npz
from infantfer.logs import limit_threads, setup_logging
from infantfer.split import fold_indices, read_folds

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
repeat, fold = int(snakemake.wildcards.repeat), int(snakemake.wildcards.fold)
faces = read_faces_npz(snakemake.input.faces)
train, test = fold_indices(read_folds(snakemake.input.folds), faces["id"], repeat, fold)
resampled = np.load(snakemake.input.smoteenn, allow_pickle=False)
train_sets = {
    "original": (faces["x"][train], faces["y"][train]),
    "smoteenn": (resampled["x"], resampled["y"]),
}
for arm in ("cgan", "smoteenn_cgan"):
    augmented = TrainingSet.load(snakemake.input[arm])
    train_sets[arm] = (augmented.x, augmented.y)
result = evaluate_fold(
    train_sets, faces["x"][test], faces["y"][test], faces["id"][test],
    classes=sorted(set(faces["y"].tolist())), settings=snakemake.params.evaluate,
    dataset=snakemake.wildcards.dataset, repeat=repeat, fold=fold,
)
for name in ("predictions", "metrics", "per_class", "confusion"):
    getattr(result, name).to_csv(snakemake.output[name], sep="\t", index=False)
