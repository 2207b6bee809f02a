"""Rule collect_dataset: one predictions, metrics, per-class F1, confusion and class-count table per dataset."""
from infantfer.io import concat_tsv
from infantfer.logs import setup_logging

log = setup_logging(snakemake.log[0])
for name in ("predictions", "metrics", "per_class", "confusion", "counts"):
    table = concat_tsv(snakemake.input[name], snakemake.output[name])
    log.info("%s: %d rows from %d folds", name, len(table), len(snakemake.input[name]))
