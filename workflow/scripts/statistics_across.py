"""Rule statistics_across_datasets: mean ranks of the arms over datasets, and Friedman's test
where there are enough datasets for it to mean anything."""
import pandas as pd

from infantfer.io import read_metrics, write_tsv
from infantfer.logs import setup_logging
from infantfer.statistics import across_datasets

log = setup_logging(snakemake.log[0])
metrics = pd.concat([read_metrics(p) for p in snakemake.input], ignore_index=True)
table = across_datasets(metrics, snakemake.params.arms)
write_tsv(table, snakemake.output[0], float_format="%.6g")
log.info("%d dataset(s): %s", metrics["dataset"].nunique(),
         "; ".join(dict.fromkeys(table["note"].dropna().astype(str))) or "ranked")
