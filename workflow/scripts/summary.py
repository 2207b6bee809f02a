"""Rule summary: mean and sd of each metric per dataset, arm and classifier."""
import pandas as pd

from infantfer.statistics import summarise
from infantfer.logs import setup_logging

log = setup_logging(snakemake.log[0])
metrics = pd.concat([pd.read_csv(p, sep="\t") for p in snakemake.input], ignore_index=True)
summary = summarise(metrics)
summary.to_csv(snakemake.output[0], sep="\t", index=False, float_format="%.4f")
log.info("summary of %d datasets:\n%s", metrics["dataset"].nunique(), summary.to_string(index=False))
