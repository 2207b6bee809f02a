"""Rule answer: the report's first page (results/answer.rst and .html) and results/summary.md."""
from pathlib import Path

from docutils.core import publish_string

from infantfer import report
from infantfer.io import atomic_path, read_metrics, read_numeric_tsv
from infantfer.logs import setup_logging

log = setup_logging(snakemake.log[0])
facts = snakemake.params.facts
runs = [report.DatasetRun(name, facts[name], read_numeric_tsv(stats), read_metrics(metrics))
        for name, stats, metrics in zip(facts, snakemake.input.statistics, snakemake.input.metrics)]
thesis = read_numeric_tsv(snakemake.input.thesis)
across = read_numeric_tsv(snakemake.input.across)

rst = report.answer_rst(runs, thesis, across)
page = publish_string(rst, writer="html", settings_overrides={
    "halt_level": 2, "report_level": 5, "file_insertion_enabled": False, "raw_enabled": False}).decode("utf-8")
for path, text in ((snakemake.output.rst, rst), (snakemake.output.html, page),
                   (snakemake.output.markdown, report.answer_markdown(runs, thesis, across))):
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
log.info("the answer:\n%s", Path(snakemake.output.markdown).read_text(encoding="utf-8"))
