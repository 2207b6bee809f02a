"""Rule split: one repeat's stratified (grouped) folds over the images that have a face."""
import hashlib

import pandas as pd

from infantfer.io.npz import read_faces_npz
from infantfer.io.tsv import write_tsv
from infantfer.ingest import read_manifest
from infantfer.logs import setup_logging
from infantfer.threads import limit_threads
from infantfer.split import handle_near_duplicates, make_folds

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
faces = read_faces_npz(snakemake.input.faces)
manifest = read_manifest(snakemake.input.manifest).set_index("id")
images = pd.DataFrame({"id": faces["id"], "label": faces["y"], "group": faces["group"]})
images["sha256"] = manifest.loc[images["id"], "sha256"].to_numpy()
images["crop_sha256"] = [hashlib.sha256(crop.tobytes()).hexdigest() for crop in faces["x"]]
split = snakemake.params.split
images["group"] = handle_near_duplicates(faces["x"], images["group"], split["near_duplicates"],
                                         split["near_duplicate_correlation"],
                                         names=manifest.loc[images["id"], "source"].to_numpy())
folds = make_folds(images, split["folds"], [int(snakemake.wildcards.repeat)], split["seed"],
                   dataset=snakemake.wildcards.dataset, expected_classes=sorted(set(manifest["label"])),
                   label_key=snakemake.params.label_key)
write_tsv(folds, snakemake.output.folds)
