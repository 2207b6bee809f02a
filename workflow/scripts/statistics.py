"""Rule statistics: the checks before any verdict (sanity.tsv), then every configured comparison of
arms over the paired folds of one dataset (statistics.tsv)."""
from infantfer.io.tsv import read_numeric_tsv, read_tsv, write_tsv
from infantfer.logs import setup_logging
from infantfer.method import METHOD_CLASSIFIER
from infantfer.metrics import read_metrics
from infantfer.statistics import SANITY_CLASSIFIERS, compare_arms, comparison_pairs, measured_test_train_ratio
from infantfer.statistics.per_class import compare_classes
from infantfer.statistics.sanity import at_chance, dataset_checks

log = setup_logging(snakemake.log[0])
inp, settings, folds = snakemake.input, snakemake.params.statistics, snakemake.params.folds
metrics = read_metrics(inp.metrics)
folds_table = read_tsv(inp.folds)
classifiers = [c for c in dict.fromkeys(metrics["classifier"]) if c not in SANITY_CLASSIFIERS]
classifier = METHOD_CLASSIFIER if METHOD_CLASSIFIER in classifiers else (classifiers or [METHOD_CLASSIFIER])[0]
checks = dataset_checks(metrics, folds_table, read_numeric_tsv(inp.class_counts), read_numeric_tsv(inp.predictions),
                        read_numeric_tsv(inp.js) if "js" in inp.keys() else None, settings, snakemake.params.gate,
                        folds, classifier, SANITY_CLASSIFIERS)
write_tsv(checks, snakemake.output.sanity, float_format="%.6g")
ratio = measured_test_train_ratio(folds_table)
pairs = comparison_pairs(snakemake.params.arms, settings["reference"])
table = compare_arms(metrics, pairs, folds=folds, measured_ratio=ratio, alpha=settings["alpha"],
                     rope=settings["rope"], primary_metric=settings["primary_metric"], at_chance=at_chance(checks))
write_tsv(table, snakemake.output[0], float_format="%.6g")
per_class = compare_classes(read_numeric_tsv(inp.per_class), pairs, folds, alpha=settings["alpha"],
                            sanity=SANITY_CLASSIFIERS)
write_tsv(per_class, snakemake.output.per_class, float_format="%.6g")
log.info("%d comparisons (%s); measured n_test/n_train %.3f vs %.3f used by the corrected t-test; verdicts: %s",
         len(table), ", ".join(f"{a} vs {b}" for a, b in pairs), ratio, 1 / (folds - 1),
         table["verdict"].value_counts().to_dict())
for row in checks.itertuples():
    log.info("check %s (%s%s): %s", row.check, row.subject, f", {row[4]}" if isinstance(row[4], str) else "",
             row.detail)
