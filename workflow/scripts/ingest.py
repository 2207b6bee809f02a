"""Rule ingest: list, hash and describe every image of one dataset."""
from infantfer.ingest.manifest import ingest, write_manifest
from infantfer.logs import setup_logging
from infantfer.threads import limit_threads

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
# the dataset's location is a param of its own, which no move reruns (common.smk: dataset_location)
settings = {**snakemake.params.settings, **snakemake.params.location}
manifest = ingest(settings, image_dir=snakemake.params.image_dir)
write_manifest(manifest, snakemake.output.manifest)
