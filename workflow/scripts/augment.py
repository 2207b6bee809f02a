"""Rule augment: the arm's base set topped up from each accepted class's chosen checkpoint."""
import numpy as np

from infantfer.augment import (
    ARM_OF_SOURCE, augment, parse_part, part_offset, part_sets, read_checkpoint_list, read_gate_table,
)
from infantfer.logs import limit_threads, setup_logging

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
part, source = snakemake.wildcards.part, snakemake.wildcards.source
_, base, _ = part_sets(snakemake.input.faces, snakemake.input.folds, part, source, snakemake.input.smoteenn)
checkpoints, classes = read_checkpoint_list(snakemake.input.checkpoints)
augmented, counts = augment(
    base, read_gate_table(snakemake.input.gate), checkpoints, classes, snakemake.params.target_ratio,
    snakemake.params.face_size, seed=snakemake.params.seed + part_offset(part), id_prefix=f"cgan-{part}-{source}",
)
np.savez_compressed(snakemake.output.train, **augmented.arrays())
repeat, fold = parse_part(part) or ("all", "all")
for position, (column, value) in enumerate([
    ("dataset", snakemake.wildcards.dataset), ("repeat", repeat), ("fold", fold),
    ("arm", ARM_OF_SOURCE[source]), ("step", "final"),
]):
    counts.insert(position, column, value)
counts.to_csv(snakemake.output.counts, sep="\t", index=False)
