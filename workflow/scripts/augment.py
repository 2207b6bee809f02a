"""Rule augment: a base set topped up from each accepted class's chosen checkpoint, and the privacy
audit of the images it added."""
from infantfer.augment import augment, read_gate_table
from infantfer.gan_run import held_back_images, part_sets, read_checkpoint_list
from infantfer.io import write_tsv
from infantfer.logs import limit_threads, setup_logging
from infantfer.privacy import audit_training_set
from infantfer.split import part_seed, with_part_columns

log = setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
part, base_name = snakemake.wildcards.part, snakemake.wildcards.base
real, base, _ = part_sets(snakemake.input.faces, snakemake.input.folds, part, snakemake.input.resampled or None)
checkpoints, classes = read_checkpoint_list(snakemake.input.checkpoints)
augmented = augment(
    base, read_gate_table(snakemake.input.gate), checkpoints, classes, snakemake.params.target_ratio,
    snakemake.params.face_size, seed=part_seed(snakemake.params.seed, part), id_prefix=f"cgan-{part}-{base_name}",
)
augmented.save(snakemake.output.train)
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
