"""Rule privacy: the privacy audit of every GAN arm's added images, per fold, as one table."""
from infantfer.arms import Arm, gate_tables_by_arm
from infantfer.io import read_numeric_tsv, write_tsv
from infantfer.logs import setup_logging

log = setup_logging(snakemake.log[0])
tables = {}
for path in snakemake.input:
    base = path.rsplit("/", 2)[1].split("_", 2)[2]  # .../cgan/r{r}_f{f}_{base}/privacy.tsv
    tables.setdefault(base, []).append(read_numeric_tsv(path))
arms = {name: Arm(name=name, gan=True, base=base) for name, base in snakemake.params.gan_arms.items()}
table = gate_tables_by_arm(arms, tables)  # the same assembly as the gate's: an arm column per base's rows
write_tsv(table, snakemake.output[0])
added = table[table["n_generated"] > 0]
log.info("%d audits of %d GAN arm(s); %d class sets with added images, copy share max %.3f, "
         "membership-inference AUC (pixels) %.2f-%.2f", len(snakemake.input), len(arms), len(added),
         added["copy_share"].max() if len(added) else float("nan"),
         table["mia_auc_pixels"].min(), table["mia_auc_pixels"].max())
if added["copy_rejected"].astype(str).eq("True").any():
    log.warning("privacy: added sets above privacy.max_copy_share: %s",
                added.loc[added["copy_rejected"].astype(str).eq("True"), ["arm", "repeat", "fold", "class"]]
                .to_dict("records"))
