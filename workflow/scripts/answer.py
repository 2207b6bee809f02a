"""Rule answer: everything across datasets. The ranks of the arms over datasets (Friedman's test
where there are enough), the thesis' claim (smoteenn_cgan vs cgan with f1_adaboost beside its +6.3%
F1 / +2.3% G-mean / +5.6% AUC), and the answer: the report's first page (results/answer.rst and
.html) and results/summary.md."""
from infantfer.metrics import read_metrics
from infantfer.io.tsv import read_numeric_tsv, write_tsv
from infantfer.io.atomic import write_text
from infantfer.logs import setup_logging
from infantfer.quality import training_trend
from infantfer.report import DatasetRun, across_tables, answer_pages

log = setup_logging(snakemake.log[0])
out, facts = snakemake.output, snakemake.params.facts
trends = {name: training_trend(read_numeric_tsv(path))
          for name, path in zip(snakemake.params.quality_datasets, snakemake.input.quality)}
inp = snakemake.input
runs = [DatasetRun(name, facts[name], read_numeric_tsv(stats), read_metrics(metrics), forest=forest,
                   balanced=read_numeric_tsv(balanced), gan_trend=trends.get(name), sanity=read_numeric_tsv(sanity),
                   per_class=read_numeric_tsv(per_class))
        for name, stats, metrics, forest, balanced, sanity, per_class in zip(
            facts, inp.statistics, inp.metrics, inp.forest, inp.balanced, inp.sanity, inp.per_class)]
thesis, across = across_tables(runs, snakemake.params.arms)
write_tsv(thesis, out.thesis, float_format="%.6g")
write_tsv(across, out.across, float_format="%.6g")
# what the answer reads is what a user reads back from the files
thesis, across = read_numeric_tsv(out.thesis), read_numeric_tsv(out.across)
pages = answer_pages(runs, thesis, across)
for name, text in pages.items():
    write_text(out[name], text)
log.info("the answer:\n%s", pages["markdown"])
