"""Rule thesis_claim: smoteenn_cgan vs cgan with f1_adaboost per dataset and on average, beside the
thesis' +6.3% F1 / +2.3% G-mean / +5.6% AUC."""
import pandas as pd

from infantfer.io import read_numeric_tsv, write_tsv
from infantfer.logs import setup_logging
from infantfer.statistics import thesis_claim

log = setup_logging(snakemake.log[0])
comparisons = pd.concat([read_numeric_tsv(p) for p in snakemake.input], ignore_index=True)
table = thesis_claim(comparisons)
write_tsv(table, snakemake.output[0], float_format="%.6g")
if table.empty:
    log.warning("no dataset has both smoteenn_cgan and cgan: the thesis' claim cannot be checked")
log.info("thesis claim:\n%s", table.to_string(index=False))
