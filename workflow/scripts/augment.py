"""Rule augment: the arm's base set topped up from each accepted class's chosen checkpoint."""
import numpy as np
import pandas as pd

from infantfer.augment import ARM_OF_SOURCE, TrainingSet, augment, part_offset, read_checkpoint_list, real_part
from infantfer.faces import read_faces_npz
from infantfer.logs import limit_threads, setup_logging
from infantfer.split import part_indices, read_folds

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
part, source = snakemake.wildcards.part, snakemake.wildcards.source
faces = read_faces_npz(snakemake.input.faces)
train, _ = part_indices(read_folds(snakemake.input.folds), faces["id"], part)
base = TrainingSet.load(snakemake.input.smoteenn) if source == "smoteenn" else real_part(faces, train)
checkpoints, classes = read_checkpoint_list(snakemake.input.checkpoints)
gate = pd.read_csv(snakemake.input.gate, sep="\t")
augmented, counts = augment(
    base, gate, checkpoints, classes, snakemake.params.target_ratio, snakemake.params.face_size,
    seed=snakemake.params.seed + part_offset(part), id_prefix=f"cgan-{part}-{source}",
)
np.savez_compressed(snakemake.output.train, **augmented.arrays())
repeat, fold = (-1, -1) if part == "all" else (int(v) for v in part[1:].split("_f"))
for position, (column, value) in enumerate([
    ("dataset", snakemake.wildcards.dataset), ("repeat", repeat), ("fold", fold),
    ("arm", ARM_OF_SOURCE[source]), ("step", "final"),
]):
    counts.insert(position, column, value)
counts.to_csv(snakemake.output.counts, sep="\t", index=False)
