"""Rule figures: the per-dataset figures of the report (what each shows: workflow/report/fig_*.rst)."""
from infantfer.figures import draw_all
from infantfer.io import read_metrics, read_npz, read_numeric_tsv
from infantfer.logs import setup_logging

log = setup_logging(snakemake.log[0])
inp, out, params = snakemake.input, snakemake.output, snakemake.params
tables = {"class_counts": read_numeric_tsv(inp.class_counts),
          "js": read_numeric_tsv(inp.js) if "js" in inp.keys() else None,
          "metrics": read_metrics(inp.metrics), "confusion": read_numeric_tsv(inp.confusion),
          "per_class": read_numeric_tsv(inp.per_class)}
arrays = [read_npz(inp[f"sample_{i}"]) for i in range(len(params.samples))]
real = None
if "faces" in inp.keys():
    faces = read_npz(inp.faces)
    real = (faces["x"], faces["y"])
draw_all(tables, params.samples, arrays, out, params.show_real, params.gate, real=real)
log.info("figures of %s (show_real_faces: %s): %s", snakemake.wildcards.dataset, params.show_real,
         ", ".join(map(str, out)))
