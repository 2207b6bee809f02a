"""Rule augment: a base set topped up from each accepted class's chosen checkpoint."""
from infantfer.augment import augment, read_gate_table
from infantfer.gan_run import part_sets, read_checkpoint_list
from infantfer.logs import setup_logging
from infantfer.threads import limit_threads
from infantfer.parts import part_seed

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
part, base_name = snakemake.wildcards.part, snakemake.wildcards.base
_, base, _ = part_sets(snakemake.input.faces, snakemake.input.folds, part, snakemake.input.resampled or None)
checkpoints, classes = read_checkpoint_list(snakemake.input.checkpoints)
augmented = augment(
    base, read_gate_table(snakemake.input.gate), checkpoints, classes, snakemake.params.target_ratio,
    snakemake.params.face_size, seed=part_seed(snakemake.params.seed, part), id_prefix=f"cgan-{part}-{base_name}",
)
augmented.save(snakemake.output.train)
