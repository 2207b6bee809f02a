"""Rule gate_figure: the gate over checkpoints per class (planned only for a dataset with a GAN arm)."""
from infantfer.figures import draw_gate
from infantfer.io.tsv import read_numeric_tsv
from infantfer.logs import setup_logging

log = setup_logging(snakemake.log[0])
draw_gate(read_numeric_tsv(snakemake.input[0]), snakemake.output[0], snakemake.params.gate)
log.info("gate of %s: %s", snakemake.wildcards.dataset, snakemake.output[0])
