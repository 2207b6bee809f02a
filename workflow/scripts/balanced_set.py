"""Rule balanced_set: the balanced training set users take home, as PNGs and a manifest."""
import shutil
from pathlib import Path

from infantfer.augment import TrainingSet, export_balanced
from infantfer.logs import setup_logging

log = setup_logging(snakemake.log[0])
manifest = export_balanced(TrainingSet.load(snakemake.input.train), snakemake.output[0])
shutil.copy(snakemake.input.gate, Path(snakemake.output[0]) / "gate.tsv")
log.info("balanced set: %s", manifest.groupby(["label", "source"]).size().to_dict())
