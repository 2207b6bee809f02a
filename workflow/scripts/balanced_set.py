"""Rule balanced_set: the balanced training set users take home, as PNGs, a manifest and a class report."""
import logging
from pathlib import Path

from infantfer.arms import arms_of, balanced_classes, count_columns, export_balanced, read_best_arm
from infantfer.augment import read_gate_table
from infantfer.gan_run import part_sets
from infantfer.io import TrainingSet, read_numeric_tsv, write_tsv
from infantfer.logs import setup_logging

log = setup_logging(snakemake.log[0])
out = Path(snakemake.output.balanced)
arms = arms_of({"arms": snakemake.params.arms})
name = snakemake.params.arm
if name == "best":
    name = read_best_arm(snakemake.input.best)
    log.info("balanced.arm best: %s won (mean f1_adaboost macro F1 over the folds)", name)
arm = arms[name]
real, _, classes = part_sets(snakemake.input.faces, None, "all")  # every real image
ts = TrainingSet.load(snakemake.input.train) if "train" in snakemake.input.keys() else real
manifest = export_balanced(ts, out)
if arm.gan:
    gate = read_gate_table(snakemake.input.gate)
    gate.insert(1, "arm", name)
    write_tsv(gate, out / "gate.tsv")
    audit = read_numeric_tsv(snakemake.input.privacy)  # every real image trained the GAN: no membership AUC
    audit.insert(1, "arm", name)
    write_tsv(audit, out / "privacy.tsv")
    for _, row in audit[audit["n_generated"] > 0].iterrows():
        log.log(logging.INFO if str(row["copy_ok"]) == "True" else logging.WARNING,
                "privacy, class '%s': %d generated images, copy share %.3f (pixels %.3f, features %.3f)%s",
                row["class"], row["n_generated"], row["copy_share"], row["copy_share_pixels"],
                row["copy_share_features"], "" if str(row["copy_ok"]) == "True" else ": above privacy.max_copy_share")
# the target follows the GAN top-up's: target_ratio x the largest class of the arm's base set
base_y = ts.y[ts.source != "cgan"]
report = balanced_classes(ts, base_y, real.y, classes, snakemake.params.target_ratio, count_columns({name: arm}))
report.insert(0, "arm", name)
write_tsv(report, out / "classes.tsv")
write_tsv(report, snakemake.output.classes)
log.info("balanced set of arm %s: %s", name, manifest.groupby(["label", "source"]).size().to_dict())
for row in report.itertuples():
    log.info("class '%s': %d of target %d (%d of %d real images kept)", row.label, row.total, row.target,
             row.real_kept, row.real_available)
    if row.warning:
        log.warning("balanced set, class '%s': %s", row.label, row.warning)
