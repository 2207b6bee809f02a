"""Rule figures: the per-dataset figures of the report that every dataset has (what each shows:
workflow/report/fig_*.rst): class counts, per-fold differences, confusion, per-class F1, forest plot."""
from infantfer.figures import draw_all
from infantfer.metrics import read_metrics
from infantfer.io.tsv import read_numeric_tsv
from infantfer.logs import setup_logging

log = setup_logging(snakemake.log[0])
inp, out = snakemake.input, snakemake.output
tables = {"class_counts": read_numeric_tsv(inp.class_counts), "metrics": read_metrics(inp.metrics),
          "confusion": read_numeric_tsv(inp.confusion), "per_class": read_numeric_tsv(inp.per_class),
          "statistics": read_numeric_tsv(inp.statistics),
          "per_class_statistics": read_numeric_tsv(inp.per_class_statistics)}
draw_all(tables, out, reference=snakemake.params.reference)
log.info("figures of %s: %s", snakemake.wildcards.dataset, ", ".join(map(str, out)))
