"""Rule answer: everything across datasets. The ranks of the arms over datasets (Friedman's test
where there are enough), the thesis' claim (smoteenn_cgan vs cgan with f1_adaboost beside its +6.3%
F1 / +2.3% G-mean / +5.6% AUC), and the answer: the report's first page (results/answer.rst and
.html) and results/summary.md."""
from pathlib import Path

import pandas as pd
from docutils.core import publish_string

from infantfer import report
from infantfer.io import read_metrics, read_numeric_tsv, write_text, write_tsv
from infantfer.logs import setup_logging
from infantfer.statistics import across_datasets, thesis_claim

log = setup_logging(snakemake.log[0])
facts = snakemake.params.facts
runs = [report.DatasetRun(name, facts[name], read_numeric_tsv(stats), read_metrics(metrics))
        for name, stats, metrics in zip(facts, snakemake.input.statistics, snakemake.input.metrics)]

alphas = {r.facts["alpha"] for r in runs}
if len(alphas) > 1:
    log.warning("datasets use different statistics.alpha %s: the interval over datasets uses %s", sorted(alphas), min(alphas))
thesis = thesis_claim(pd.concat([r.statistics for r in runs], ignore_index=True), alpha=min(alphas))
write_tsv(thesis, snakemake.output.thesis, float_format="%.6g")
if thesis.empty:
    log.warning("no dataset has smoteenn_cgan and cgan with f1_adaboost: the thesis' claim cannot be checked")
across = across_datasets(pd.concat([r.metrics for r in runs], ignore_index=True), snakemake.params.arms)
write_tsv(across, snakemake.output.across, float_format="%.6g")
# what the answer reads is what a user reads back from the files
thesis, across = read_numeric_tsv(snakemake.output.thesis), read_numeric_tsv(snakemake.output.across)

rst = report.answer_rst(runs, thesis, across)
page = publish_string(rst, writer="html", settings_overrides={
    "halt_level": 2, "report_level": 5, "file_insertion_enabled": False, "raw_enabled": False}).decode("utf-8")
for path, text in ((snakemake.output.rst, rst), (snakemake.output.html, page),
                   (snakemake.output.markdown, report.answer_markdown(runs, thesis, across))):
    write_text(path, text)
log.info("the answer:\n%s", Path(snakemake.output.markdown).read_text(encoding="utf-8"))
