"""Rule faces_figure: sample faces per class of the first fold (generated, and real and SMOTE faces
where report.show_real_faces allows); planned only where there is something to show."""
from infantfer.figures import draw_faces
from infantfer.io.npz import read_npz
from infantfer.io.tsv import read_numeric_tsv, read_tsv
from infantfer.logs import setup_logging

log = setup_logging(snakemake.log[0])
inp, params = snakemake.input, snakemake.params
arrays = [read_npz(inp[f"sample_{i}"]) for i in range(len(params.samples))]
js = read_numeric_tsv(inp.js) if "js" in inp.keys() else None
real = None
if "faces" in inp.keys():
    faces = read_npz(inp.faces)
    real = (faces["x"], faces["y"])
draw_faces(read_tsv(inp.folds), params.samples, arrays, js, snakemake.output[0], params.show_real,
           real=real)
log.info("faces of %s (show_real_faces: %s): %s", snakemake.wildcards.dataset, params.show_real, snakemake.output[0])
