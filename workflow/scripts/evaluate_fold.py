"""Rule evaluate_fold: every arm x classifier of one fold, scored on its real test images."""
import numpy as np

from infantfer.arms import arms_of, class_counts, training_set
from infantfer.gan_run import real_part
from infantfer.evaluate import evaluate_fold
from infantfer.io import TrainingSet, read_faces_npz, read_tsv, write_tsv
from infantfer.logs import limit_threads, setup_logging
from infantfer.split import fold_indices, read_folds

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
repeat, fold = int(snakemake.wildcards.repeat), int(snakemake.wildcards.fold)
faces = read_faces_npz(snakemake.input.faces)
train, test = fold_indices(read_folds(snakemake.input.folds), faces["id"], repeat, fold)
classes = sorted(set(faces["y"].tolist()))
arms = arms_of({"arms": snakemake.params.arms})
real = real_part(faces, train)
resampled = {base: TrainingSet.load(path) for key, path in snakemake.input.items() if key.startswith("resampled_")
             for base in [key.removeprefix("resampled_")]}
topped = {base: TrainingSet.load(path) for key, path in snakemake.input.items() if key.startswith("topped_")
          for base in [key.removeprefix("topped_")]}
sets = {name: training_set(arm, real, resampled, topped) for name, arm in arms.items()}
result = evaluate_fold(
    {name: (ts.x, ts.y) for name, ts in sets.items()}, faces["x"][test], faces["y"][test], faces["id"][test],
    classes=classes, settings=snakemake.params.evaluate, dataset=snakemake.wildcards.dataset, repeat=repeat, fold=fold,
    class_weight={name: arm.class_weight for name, arm in arms.items()},
)
steps = {base: read_tsv(snakemake.input[f"steps_{base}"]) for base in resampled}
counts = class_counts(arms, sets, steps, resampled, classes, snakemake.wildcards.dataset, repeat, fold, real.y)
for name in ("predictions", "metrics", "per_class", "confusion"):
    write_tsv(getattr(result, name), snakemake.output[name])
write_tsv(counts, snakemake.output.counts)
