"""Rule collect_quality: every fold GAN run's quality per checkpoint as one table, gan_quality.tsv, and
per checkpoint x class, gan_quality_classes.tsv."""
from infantfer.io.tsv import write_tsv
from infantfer.logs import setup_logging
from infantfer.quality import collect_quality

log = setup_logging(snakemake.log[0])
table = collect_quality(list(snakemake.input.quality), snakemake.params.runs, snakemake.params.gan_arms)
write_tsv(table, snakemake.output.quality)
by_class = collect_quality(list(snakemake.input.by_class), snakemake.params.runs, snakemake.params.gan_arms)
write_tsv(by_class, snakemake.output.by_class)
log.info("%d quality tables, %d rows; %d per class", len(snakemake.input.quality), len(table), len(by_class))
