"""Rule tables: the method's Tables 2, 3 and 4 of one dataset as readable HTML pages."""
from infantfer.metrics import read_metrics
from infantfer.io.tsv import read_numeric_tsv
from infantfer.io.atomic import write_text
from infantfer.logs import setup_logging
from infantfer.report import pages

log = setup_logging(snakemake.log[0])
inp, settings = snakemake.input, snakemake.params.statistics
html = pages(snakemake.wildcards.dataset, read_numeric_tsv(inp.class_counts), read_metrics(inp.metrics),
             read_numeric_tsv(inp.statistics), read_numeric_tsv(inp.js) if "js" in inp.keys() else None,
             settings["reference"], settings["alpha"])
for name, page in html.items():
    write_text(snakemake.output[name], page)
    log.info("%s: %s", name, snakemake.output[name])
