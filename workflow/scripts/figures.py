"""Rule figures: the per-dataset figures of the report (what each shows: workflow/report/fig_*.rst)."""
from infantfer import figures
from infantfer.io import read_metrics, read_npz, read_numeric_tsv
from infantfer.logs import setup_logging

log = setup_logging(snakemake.log[0])
inp, out, params = snakemake.input, snakemake.output, snakemake.params
counts = read_numeric_tsv(inp.class_counts)
js = read_numeric_tsv(inp.js) if "js" in inp.keys() else None
order = figures.class_order(counts)

figures.class_counts_figure(counts, out.class_counts)
# of the first fold: each GAN base's generated faces (and which classes its gate accepted), each
# resampled base's synthetic images; real faces only where report.show_real_faces allows
sets, gan_sets, accepted = {}, [], {}
first = None if js is None else js[(js["repeat"] == js["repeat"].min())]
for i, sample in enumerate(params.samples):
    arrays = read_npz(inp[f"sample_{i}"])
    x, y, source = arrays["x"], arrays["y"], arrays["source"]
    if sample["gan_arms"]:
        keep = source == "cgan"  # its SMOTE rows are drawn from the resampled set's row
        x, y, source = x[keep], y[keep], source[keep]
        gan_sets.append(sample["name"])
        mine = first[(first["fold"] == first["fold"].min()) & first["arm"].isin(sample["gan_arms"])]
        accepted[sample["name"]] = sorted(set(mine.loc[mine["chosen"].astype(str) == "True", "class"]))
    sets[sample["name"]] = (x, y, source)
real = None
if "faces" in inp.keys():
    faces = read_npz(inp.faces)
    real = (faces["x"], faces["y"])
figures.sample_faces_figure(sets, out.faces, show_real=params.show_real, real=real, class_order=order,
                            gan_sets=gan_sets, accepted=accepted)
figures.js_figure(js, out.gate, js_margin=params.gate["js_margin"], fidelity_margin=params.gate["fidelity_margin"])
figures.metric_folds_figure(read_metrics(inp.metrics), out.metrics)
figures.confusion_figure(read_numeric_tsv(inp.confusion), out.confusion, class_order=order)
figures.per_class_f1_figure(read_numeric_tsv(inp.per_class), out.per_class, class_order=order)
log.info("figures of %s (show_real_faces: %s): %s", snakemake.wildcards.dataset, params.show_real,
         ", ".join(map(str, out)))
