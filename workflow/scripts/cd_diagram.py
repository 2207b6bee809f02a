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
if result is None:  # rule all asks for it only with 3 or more datasets
    raise ValueError(f"a critical-difference diagram needs 3 or more datasets with every arm; "
                     f"have {metrics['dataset'].nunique()}: don't ask for {snakemake.output[0]}")
ranks, pvalues = result
cd_diagram(ranks, pvalues, snakemake.output[0], title=f"{classifier}, {metric}")
log.info("mean ranks (%s, %s):\n%s", classifier, metric, ranks.to_string())
