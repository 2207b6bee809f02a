"""Rule quality_figure: the GAN's quality against its checkpoints, per GAN arm and fold."""
from infantfer.figures import quality_figure
from infantfer.io.tsv import read_numeric_tsv
from infantfer.logs import setup_logging

log = setup_logging(snakemake.log[0])
quality_figure(read_numeric_tsv(snakemake.input[0]), snakemake.output[0], snakemake.params.max_copy_share)
log.info("GAN quality figure: %s", snakemake.output[0])
