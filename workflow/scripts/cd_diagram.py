"""Rule cd_diagram: the critical-difference diagram of the arms over datasets (Demšar 2006)."""
import pandas as pd

from infantfer.figures import cd_diagram
from infantfer.io import read_metrics
from infantfer.logs import setup_logging
from infantfer.statistics import nemenyi

log = setup_logging(snakemake.log[0])
metrics = pd.concat([read_metrics(p) for p in snakemake.input], ignore_index=True)
classifier, metric = snakemake.wildcards.classifier, snakemake.wildcards.metric
result = nemenyi(metrics, classifier, metric, snakemake.params.arms)
if result is None:  # fewer than 3 datasets with a value for every common arm: a diagram saying so
    log.warning("no critical-difference diagram for %s, %s: fewer than 3 datasets have every common arm %s",
                classifier, metric, snakemake.params.arms)
    result = (pd.Series(dtype=float, name="mean_rank"), pd.DataFrame())
ranks, pvalues = result
cd_diagram(ranks, pvalues, snakemake.output[0], title=f"{classifier}, {metric}")
log.info("mean ranks (%s, %s):\n%s", classifier, metric, ranks.to_string())
