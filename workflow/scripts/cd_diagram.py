"""Rule cd_diagram: the critical-difference diagram of the arms over datasets (Demšar 2006)."""
import pandas as pd

from infantfer.figures import draw_cd
from infantfer.metrics import read_metrics
from infantfer.logs import setup_logging

log = setup_logging(snakemake.log[0])
metrics = pd.concat([read_metrics(p) for p in snakemake.input], ignore_index=True)
classifier, metric = snakemake.wildcards.classifier, snakemake.wildcards.metric
ranks = draw_cd(metrics, classifier, metric, snakemake.params.arms, snakemake.output[0], snakemake.params.reference)
log.info("mean ranks (%s, %s):\n%s", classifier, metric, ranks.to_string())
