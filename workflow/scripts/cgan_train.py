"""Rule cgan_train: train one class-conditional GAN (resuming from its last checkpoint)."""
import logging
from pathlib import Path

import numpy as np

from infantfer.augment import TrainingSet, part_offset, real_part, run_key, write_checkpoint_list
from infantfer.cgan import CGANConfig, train_cgan
from infantfer.faces import read_faces_npz
from infantfer.logs import limit_threads, setup_logging
from infantfer.split import part_indices, read_folds

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
part, source = snakemake.wildcards.part, snakemake.wildcards.source
faces = read_faces_npz(snakemake.input.faces)
train, _ = part_indices(read_folds(snakemake.input.folds), faces["id"], part)
base = TrainingSet.load(snakemake.input.smoteenn) if source == "smoteenn" else real_part(faces, train)
classes = sorted(set(faces["y"].tolist()))
settings = {**snakemake.params.cgan, "seed": snakemake.params.cgan["seed"] + part_offset(part)}
key = run_key(settings, base.x, base.y)
checkpoint_dir = Path(snakemake.params.checkpoint_root) / f"{part}_{source}-{key}"
logging.getLogger("infantfer").info("%d %s training images, classes %s; checkpoints in %s", len(base.y), source, classes, checkpoint_dir)
checkpoints = train_cgan(
    base.x, np.searchsorted(classes, base.y), len(classes), CGANConfig.from_dict(settings), checkpoint_dir,
    threads=snakemake.threads,
)
write_checkpoint_list(snakemake.output.checkpoints, checkpoints, classes, key)
