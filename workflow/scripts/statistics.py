"""Rule statistics: every configured comparison of arms over the paired folds of one dataset."""
from infantfer.metrics import read_metrics
from infantfer.io.tsv import read_tsv, write_tsv
from infantfer.logs import setup_logging
from infantfer.statistics import compare_arms, comparison_pairs, measured_test_train_ratio

log = setup_logging(snakemake.log[0])
settings = snakemake.params.statistics
metrics = read_metrics(snakemake.input.metrics)
ratio = measured_test_train_ratio(read_tsv(snakemake.input.folds))
pairs = comparison_pairs(snakemake.params.arms, settings["reference"])
table = compare_arms(metrics, pairs, folds=snakemake.params.folds, measured_ratio=ratio, alpha=settings["alpha"],
                     rope=settings["rope"])
write_tsv(table, snakemake.output[0], float_format="%.6g")
log.info("%d comparisons (%s); measured n_test/n_train %.3f vs %.3f used by the corrected t-test; verdicts: %s",
         len(table), ", ".join(f"{a} vs {b}" for a, b in pairs), ratio, 1 / (snakemake.params.folds - 1),
         table["verdict"].value_counts().to_dict())
