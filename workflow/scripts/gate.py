"""Rule gate: every deciding and reported criterion of every checkpoint x class; choose."""
from infantfer.gan_run import part_sets, read_checkpoint_list
from infantfer.gate import gate_run
from infantfer.io.tsv import write_tsv
from infantfer.logs import setup_logging
from infantfer.threads import limit_threads
from infantfer.parts import with_part_columns

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
part = snakemake.wildcards.part
# the gate compares with the real training images, whatever the GAN learned from
real, _, _ = part_sets(snakemake.input.faces, snakemake.input.folds, part)
checkpoints, classes = read_checkpoint_list(snakemake.input.checkpoints)
settings = {**snakemake.params.gate, "max_copy_share": snakemake.params.privacy["max_copy_share"]}
table = gate_run(real, checkpoints, classes, settings, face_size=snakemake.params.face_size,
                 seed=snakemake.params.gate["seed"])
write_tsv(with_part_columns(table, snakemake.wildcards.dataset, part), snakemake.output.gate)
