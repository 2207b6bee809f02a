"""Rule collect_quality: every fold GAN run's quality per checkpoint as one table, gan_quality.tsv."""
from infantfer.io.tsv import write_tsv
from infantfer.logs import setup_logging
from infantfer.quality import collect_quality

log = setup_logging(snakemake.log[0])
table = collect_quality(list(snakemake.input), snakemake.params.runs, snakemake.params.gan_arms)
write_tsv(table, snakemake.output[0])
log.info("%d quality tables, %d rows", len(snakemake.input), len(table))
