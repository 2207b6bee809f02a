"""Rule collect_privacy: the privacy audit of every GAN arm's added images, per fold, as one table."""
from infantfer.io.tsv import write_tsv
from infantfer.logs import setup_logging
from infantfer.privacy import collect_privacy

setup_logging(snakemake.log[0])
write_tsv(collect_privacy(list(snakemake.input), snakemake.params.runs, snakemake.params.gan_arms), snakemake.output[0])
