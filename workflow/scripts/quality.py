"""Rule quality: one fold GAN run's quality at each checkpoint (CAS, a no-skill baseline, membership AUC),
and its two-sample tests per class."""
from infantfer.gan_run import held_back_images, part_sets, read_checkpoint_list
from infantfer.io.tsv import read_numeric_tsv, write_tsv
from infantfer.logs import setup_logging
from infantfer.threads import limit_threads
from infantfer.parts import with_part_columns
from infantfer.quality import quality_tables

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
part = snakemake.wildcards.part
real, _, _ = part_sets(snakemake.input.faces, snakemake.input.folds, part)  # the real training images
test_x, test_y = held_back_images(snakemake.input.faces, snakemake.input.folds, part)
checkpoints, classes = read_checkpoint_list(snakemake.input.checkpoints)
table, by_class = quality_tables(real, test_x, test_y, checkpoints, classes, read_numeric_tsv(snakemake.input.gate),
                                 face_size=snakemake.params.face_size, seed=snakemake.params.seed)
write_tsv(with_part_columns(table, snakemake.wildcards.dataset, part), snakemake.output.quality)
write_tsv(with_part_columns(by_class, snakemake.wildcards.dataset, part), snakemake.output.by_class)
