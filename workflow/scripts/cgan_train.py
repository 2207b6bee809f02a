"""Rule cgan_train: train one class-conditional GAN (resuming from its last checkpoint)."""
import sys
from pathlib import Path

import numpy as np

from infantfer.gan_run import gate_checkpoints, part_sets, run_key, write_checkpoint_list
from infantfer.cgan import CGANConfig, TrainingStopped, train_cgan
from infantfer.interrupts import JobWatch
from infantfer.logs import setup_logging
from infantfer.threads import limit_threads
from infantfer.parts import checkpoints_in, part_seed, run_name

log = setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
part, base_name = snakemake.wildcards.part, snakemake.wildcards.base
_, base, classes = part_sets(snakemake.input.faces, snakemake.input.folds, part, snakemake.input.resampled or None)
settings = {**snakemake.params.cgan, "seed": part_seed(snakemake.params.cgan["seed"], part)}
key = run_key(settings, base.x, base.y)
checkpoint_dir = Path(snakemake.params.checkpoint_root) / f"{run_name(part, base_name)}-{key}"
log.info("%d %s training images, classes %s; checkpoints in %s", len(base.y), base_name, classes, checkpoint_dir)
try:
    train_cgan(base.x, np.searchsorted(classes, base.y), len(classes), CGANConfig.from_dict(settings), checkpoint_dir,
               threads=snakemake.threads, stop=JobWatch())
except TrainingStopped as stopped:
    log.warning("cgan: %s", stopped)
    sys.exit(f"cgan_train {run_name(part, base_name)}: {stopped}")
checkpoints = gate_checkpoints(checkpoints_in(checkpoint_dir), settings["steps"], settings["checkpoint_every"])
write_checkpoint_list(snakemake.output.checkpoints, checkpoints, classes, key)
