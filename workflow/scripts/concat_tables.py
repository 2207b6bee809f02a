"""Concatenate per-fold TSV tables into one."""
import pandas as pd

from infantfer.logs import setup_logging

log = setup_logging(snakemake.log[0])
table = pd.concat([pd.read_csv(p, sep="\t", dtype={"label": str, "class": str}, keep_default_na=False) for p in snakemake.input], ignore_index=True)
table.to_csv(snakemake.output[0], sep="\t", index=False)
log.info("%d tables, %d rows -> %s", len(snakemake.input), len(table), snakemake.output[0])
