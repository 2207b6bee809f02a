"""Rule gate: JS divergence, label fidelity and copies of every checkpoint x class; choose."""
from infantfer.augment import ARM_OF_SOURCE, gate_run, parse_part, part_sets, read_checkpoint_list
from infantfer.logs import limit_threads, setup_logging

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
part, source = snakemake.wildcards.part, snakemake.wildcards.source
real, _, _ = part_sets(snakemake.input.faces, snakemake.input.folds, part, "original")  # real images only
checkpoints, classes = read_checkpoint_list(snakemake.input.checkpoints)
# the gate compares with the real training images, whatever the GAN learned from
table = gate_run(real, checkpoints, classes, snakemake.params.gate,
                 face_size=snakemake.params.face_size, seed=snakemake.params.gate["seed"])
repeat, fold = parse_part(part) or ("all", "all")
for position, (column, value) in enumerate(
    [("dataset", snakemake.wildcards.dataset), ("arm", ARM_OF_SOURCE[source]), ("repeat", repeat), ("fold", fold)]
):
    table.insert(position, column, value)
table.to_csv(snakemake.output.gate, sep="\t", index=False)
