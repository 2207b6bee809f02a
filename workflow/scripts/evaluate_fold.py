"""Rule evaluate_fold: every arm x classifier of one fold, scored on its real test images."""
from infantfer.arms import arms_of
from infantfer.evaluate import evaluate_part
from infantfer.io.npz import TrainingSet, read_faces_npz
from infantfer.io.tsv import read_tsv, write_tsv
from infantfer.logs import setup_logging
from infantfer.threads import limit_threads
from infantfer.split import read_folds

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
inp = snakemake.input


def by_base(prefix):
    """Input name prefix + base -> {base: path}, in the inputs' order."""
    return {key.removeprefix(prefix): path for key, path in inp.items() if key.startswith(prefix)}


resampled = {base: TrainingSet.load(path) for base, path in by_base("resampled_").items()}
topped = {base: TrainingSet.load(path) for base, path in by_base("topped_").items()}
steps = {base: read_tsv(inp[f"steps_{base}"]) for base in resampled}
result, counts = evaluate_part(
    read_faces_npz(inp.faces), read_folds(inp.folds), int(snakemake.wildcards.repeat), int(snakemake.wildcards.fold),
    arms_of({"arms": snakemake.params.arms}), resampled, topped, steps, snakemake.params.evaluate,
    snakemake.wildcards.dataset,
)
for name in ("predictions", "metrics", "per_class", "confusion"):
    write_tsv(getattr(result, name), snakemake.output[name])
write_tsv(counts, snakemake.output.counts)
