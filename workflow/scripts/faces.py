"""Rule faces: detect, crop, resize and greyscale every face; report every image."""
from infantfer.faces import extract_faces, write_faces_npz
from infantfer.ingest import read_manifest
from infantfer.logs import setup_logging
from infantfer.threads import limit_threads

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
# the manifest's paths are relative to the dataset's folder, a param no move reruns (common.smk)
arrays, report = extract_faces(read_manifest(snakemake.input.manifest), **snakemake.params.faces,
                               max_pixels=snakemake.params.max_pixels, root=snakemake.params.images_root)
report.to_csv(snakemake.output.report, sep="\t", index=False)
write_faces_npz(snakemake.output.faces, arrays)
