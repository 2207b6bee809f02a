"""Checkpoint best_arm: the arm with the highest mean f1_adaboost macro F1 over the folds."""
from infantfer.balanced import best_arm
from infantfer.metrics import read_metrics
from infantfer.io.tsv import write_tsv
from infantfer.logs import setup_logging

log = setup_logging(snakemake.log[0])
arm, table = best_arm(read_metrics(snakemake.input.metrics))
write_tsv(table, snakemake.output[0], float_format="%.4f")
log.info("best arm for the balanced set: %s (mean f1_adaboost macro F1 over the folds; model selection "
         "on the same folds, so its score is optimistic)\n%s", arm, table.to_string(index=False))
