"""Rule gate: JS divergence, label fidelity and copies of every checkpoint x class; choose."""
from infantfer.augment import ARM_OF_SOURCE, gate_run, read_checkpoint_list, real_part
from infantfer.faces import read_faces_npz
from infantfer.logs import limit_threads, setup_logging
from infantfer.split import part_indices, read_folds

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
part, source = snakemake.wildcards.part, snakemake.wildcards.source
faces = read_faces_npz(snakemake.input.faces)
train, _ = part_indices(read_folds(snakemake.input.folds), faces["id"], part)
checkpoints, classes = read_checkpoint_list(snakemake.input.checkpoints)
# the gate compares with the real training images, whatever the GAN learned from
table = gate_run(real_part(faces, train), checkpoints, classes, snakemake.params.gate,
                 face_size=snakemake.params.face_size, seed=snakemake.params.gate["seed"])
repeat, fold = ("all", "all") if part == "all" else (int(v) for v in part[1:].split("_f"))
for position, (column, value) in enumerate(
    [("dataset", snakemake.wildcards.dataset), ("arm", ARM_OF_SOURCE[source]), ("repeat", repeat), ("fold", fold)]
):
    table.insert(position, column, value)
table.to_csv(snakemake.output.gate, sep="\t", index=False)
