"""Rule collect_folds: every repeat's folds in one table."""
from infantfer.logs import setup_logging
from infantfer.split import collect_folds

log = setup_logging(snakemake.log[0])
table = collect_folds(list(snakemake.input), snakemake.output[0])
log.info("folds: %d rows from %d repeat(s)", len(table), len(snakemake.input))
