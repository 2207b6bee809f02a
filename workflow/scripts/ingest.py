"""Rule ingest: list, hash and describe every image of one dataset."""
from infantfer.ingest.manifest import ingest, write_manifest
from infantfer.logs import limit_threads, setup_logging

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
manifest = ingest(snakemake.params.settings, image_dir=snakemake.params.image_dir)
write_manifest(manifest, snakemake.output.manifest)
