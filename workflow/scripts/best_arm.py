"""Checkpoint best_arm (balanced.arm: best): among the arms whose training sets balance, the one the
statistics call higher than the reference on the primary metric, else the default balancing arm."""
from infantfer.balanced import best_arm
from infantfer.io.tsv import read_numeric_tsv, write_tsv
from infantfer.logs import setup_logging

log = setup_logging(snakemake.log[0])
settings = snakemake.params.statistics
arm, table = best_arm(read_numeric_tsv(snakemake.input.statistics), read_numeric_tsv(snakemake.input.class_counts),
                      snakemake.params.arms, settings["primary_metric"], settings["reference"],
                      snakemake.params.target_ratio)
write_tsv(table, snakemake.output[0], float_format="%.4f")
log.info("best arm for the balanced set: %s\n%s", arm, table.to_string(index=False))
