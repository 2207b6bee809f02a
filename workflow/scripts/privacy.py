"""Rule privacy: the privacy audit of the images one GAN run added to its base set (probable copies
of the real training images, membership inference)."""
from infantfer.gan_run import held_back_images, part_sets
from infantfer.io.npz import TrainingSet
from infantfer.io.tsv import write_tsv
from infantfer.logs import setup_logging
from infantfer.threads import limit_threads
from infantfer.privacy import audit_training_set
from infantfer.parts import with_part_columns

log = setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
part = snakemake.wildcards.part
real, _, classes = part_sets(snakemake.input.faces, snakemake.input.folds, part)
augmented = TrainingSet.load(snakemake.input.train)
# the copy reference as the gate fitted it (same real images, same seed)
audit = audit_training_set(real.x, augmented, classes,
                           held_back_images(snakemake.input.faces, snakemake.input.folds, part),
                           seed=snakemake.params.gate_seed, max_copy_share=snakemake.params.max_copy_share)
write_tsv(with_part_columns(audit.copy(), snakemake.wildcards.dataset, part), snakemake.output.privacy)
log.info("privacy: copy share of the added images %s; membership-inference AUC %.2f (pixels), %.2f (features)",
         {r["class"]: round(r["copy_share"], 3) for _, r in audit.iterrows() if r["n_generated"]},
         audit["mia_auc_pixels"].iloc[0], audit["mia_auc_features"].iloc[0])
for _, row in audit[~audit["copy_ok"]].iterrows():
    log.warning("privacy: the %d images added to class '%s' have a copy share of %.3f, above privacy.max_copy_share "
                "%s (the gate's own draw from that checkpoint passed); see privacy.tsv", row["n_generated"],
                row["class"], row["copy_share"], snakemake.params.max_copy_share)
