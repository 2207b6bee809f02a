"""Rule tables: the method's Tables 2, 3 and 4 of one dataset as readable HTML pages."""
from infantfer import report
from infantfer.io import read_metrics, read_numeric_tsv, write_text
from infantfer.logs import setup_logging

log = setup_logging(snakemake.log[0])
dataset = snakemake.wildcards.dataset
counts = read_numeric_tsv(snakemake.input.class_counts)
metrics = read_metrics(snakemake.input.metrics)
statistics = read_numeric_tsv(snakemake.input.statistics)
js = read_numeric_tsv(snakemake.input.js) if "js" in snakemake.input.keys() else None
reference, alpha = snakemake.params.statistics["reference"], snakemake.params.statistics["alpha"]

pages = {
    "table2": (f"Table 2, {dataset}: class counts per arm and step", [(
        "Mean over the folds of each class's training images, by source",
        report.table2(counts),
        "input: the fold's real training images; after_smote / resampled: after each step of the arm's "
        "resampler (ENN's cleaning shows as real_removed); final: what the classifiers train on. "
        "Classes with the fewest real images first.")]),
    "table3": (f"Table 3, {dataset}: the gate's JS divergence per class and test iteration", [(
        "JS divergence (PCA, log base 2) of generated vs real training images per checkpoint",
        None if js is None else report.table3(js),
        "* the checkpoint chosen for the class (lowest JS among those that pass every deciding check); "
        "x failed a deciding check; - JS not judged (fewer real images than gate.min_images). "
        "The last row is the range of the real-vs-real baseline (95th percentile) over folds."
        if js is not None else "No GAN arm is configured for this dataset.")]),
    "table4": (f"Table 4, {dataset}: arms x classifiers x metrics", [(
        f"Mean ± sd over the folds; the difference from the reference arm with its {report.level(alpha)} CI",
        report.table4(metrics, statistics, reference, alpha),
        f"Differences are paired over repeat x fold against {reference}; CIs from the Nadeau-Bengio corrected "
        "t-test, unadjusted; higher / lower: Holm-adjusted p < alpha. statistics.tsv has every comparison, "
        "with Wilcoxon's test beside it.")]),
}
for name, (title, sections) in pages.items():
    write_text(snakemake.output[name], report.html_page(title, sections))
    log.info("%s: %s", name, snakemake.output[name])
