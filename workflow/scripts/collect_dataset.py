"""Rule collect_dataset: one predictions, metrics, per-class F1, confusion and class-count table per dataset."""
from infantfer.evaluate import FOLD_TABLES, collect_tables
from infantfer.logs import setup_logging

log = setup_logging(snakemake.log[0])
for name in FOLD_TABLES:
    table = collect_tables(snakemake.input[name], snakemake.output[name])
    log.info("%s: %d rows from %d folds", name, len(table), len(snakemake.input[name]))
