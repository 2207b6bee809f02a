"""Rule collect_folds: every repeat's folds in one table."""
from infantfer.io import concat_tsv
from infantfer.logs import setup_logging

log = setup_logging(snakemake.log[0])
table = concat_tsv(list(snakemake.input), snakemake.output[0])
log.info("folds: %d rows from %d repeat(s)", len(table), len(snakemake.input))
