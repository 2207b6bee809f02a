"""Rule collect_gate: every GAN arm's gate tables as one table, js_divergence.tsv (the thesis' Table 3)."""
from infantfer.gate import collect_gate
from infantfer.io.tsv import write_tsv
from infantfer.logs import setup_logging

log = setup_logging(snakemake.log[0])
table = collect_gate(list(snakemake.input), snakemake.params.runs, snakemake.params.gan_arms)
write_tsv(table, snakemake.output[0])
log.info("%d gate tables of %d GAN arm(s), %d rows", len(snakemake.input), len(snakemake.params.gan_arms), len(table))
