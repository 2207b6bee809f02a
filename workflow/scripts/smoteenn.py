"""Rule smoteenn: SMOTEENN on the training side of one fold."""
import numpy as np

from infantfer.faces import read_faces_npz
from infantfer.logs import limit_threads, setup_logging
from infantfer.smoteenn import counts_table, resample_fold
from infantfer.split import fold_indices, read_folds

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
repeat, fold = int(snakemake.wildcards.repeat), int(snakemake.wildcards.fold)
faces = read_faces_npz(snakemake.input.faces)
train, _ = fold_indices(read_folds(snakemake.input.folds), faces["id"], repeat, fold)
settings = snakemake.params.smoteenn
resampled = resample_fold(
    faces["x"][train], faces["y"][train], faces["id"][train],
    k_neighbors=settings["k_neighbors"], enn_neighbors=settings["enn_neighbors"],
    random_state=settings["seed"] + 1000 * repeat + fold, id_prefix=f"smote-r{repeat}f{fold}",
)
np.savez_compressed(snakemake.output.resampled, **resampled.arrays())
counts_table(resampled, snakemake.wildcards.dataset, repeat, fold).to_csv(snakemake.output.counts, sep="\t", index=False)
