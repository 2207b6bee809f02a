"""Rule resample: one base's resampler on the training side of one fold (or of every image, part 'all')."""
from infantfer.io.npz import read_faces_npz
from infantfer.io.tsv import write_tsv
from infantfer.logs import setup_logging
from infantfer.threads import limit_threads
from infantfer.resample import SOURCE_OF, resample_fold
from infantfer.parts import part_seed
from infantfer.split import part_indices, read_folds

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
part, spec = snakemake.wildcards.part, snakemake.params.resampler
faces = read_faces_npz(snakemake.input.faces)
folds = read_folds(snakemake.input.folds) if snakemake.input.folds else None  # none for part all
train, _ = part_indices(folds, faces["id"], part)
resampled = resample_fold(
    faces["x"][train], faces["y"][train], faces["id"][train], resampler=spec["resampler"], params=spec["params"],
    random_state=part_seed(spec["params"]["seed"], part), id_prefix=f"{SOURCE_OF[spec['resampler']]}-{part}",
)
resampled.save(snakemake.output.resampled)
write_tsv(resampled.steps, snakemake.output.counts)
