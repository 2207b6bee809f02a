"""Rule smoteenn: SMOTEENN on the training side of one fold (or on every image, part 'all')."""
import numpy as np

from infantfer.augment import parse_part, part_offset
from infantfer.faces import read_faces_npz
from infantfer.logs import limit_threads, setup_logging
from infantfer.smoteenn import counts_table, resample_fold
from infantfer.split import part_indices, read_folds

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
part = snakemake.wildcards.part
faces = read_faces_npz(snakemake.input.faces)
train, _ = part_indices(read_folds(snakemake.input.folds), faces["id"], part)
settings = snakemake.params.smoteenn
resampled = resample_fold(
    faces["x"][train], faces["y"][train], faces["id"][train],
    k_neighbors=settings["k_neighbors"], enn_neighbors=settings["enn_neighbors"],
    random_state=settings["seed"] + part_offset(part), id_prefix=f"smote-{part}",
)
np.savez_compressed(snakemake.output.resampled, **resampled.arrays())
repeat, fold = parse_part(part) or ("all", "all")
counts_table(resampled, snakemake.wildcards.dataset, repeat, fold).to_csv(snakemake.output.counts, sep="\t", index=False)
