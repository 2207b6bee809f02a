"""Rule faces_figure: sample faces per class of the fold whose gate accepted the most (generated,
and real and SMOTE faces where report.show_real_faces allows); planned only where there is
something to show."""
from infantfer.figures import draw_faces
from infantfer.figures.gate import most_accepted_part
from infantfer.io.npz import read_npz
from infantfer.io.tsv import read_numeric_tsv, read_tsv
from infantfer.logs import setup_logging

log = setup_logging(snakemake.log[0])
inp, params = snakemake.input, snakemake.params
js = read_numeric_tsv(inp.js) if "js" in inp.keys() else None
parts = list(dict.fromkeys(s["part"] for s in params.samples))
part = most_accepted_part(js, parts) if parts else None
# only the chosen fold's sets are read
arrays = [read_npz(inp[f"sample_{i}"]) if s["part"] == part else None for i, s in enumerate(params.samples)]
real = None
if "faces" in inp.keys():
    faces = read_npz(inp.faces)
    real = (faces["x"], faces["y"])
draw_faces(read_tsv(inp.folds), params.samples, arrays, js, snakemake.output[0], params.show_real, real=real,
           part=part)
log.info("faces of %s, fold %s (the one whose gate accepted the most; show_real_faces: %s): %s",
         snakemake.wildcards.dataset, part, params.show_real, snakemake.output[0])
