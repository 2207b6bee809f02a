"""Rule collect_privacy: the privacy audit of every GAN arm's added images, per fold, as one table."""
from pathlib import Path

from infantfer.arms import Arm, base_of, gate_tables_by_arm
from infantfer.io import read_numeric_tsv, write_tsv
from infantfer.logs import setup_logging

log = setup_logging(snakemake.log[0])
tables = {}
for path in snakemake.input:
    tables.setdefault(base_of(Path(path).parent.name), []).append(read_numeric_tsv(path))  # cgan/r{r}_f{f}_{base}/
arms = {name: Arm(name=name, gan=True, base=base) for name, base in snakemake.params.gan_arms.items()}
table = gate_tables_by_arm(arms, tables)  # the same assembly as the gate's: an arm column per base's rows
write_tsv(table, snakemake.output[0])
added = table[table["n_generated"] > 0]
log.info("%d audits of %d GAN arm(s); %d class sets with added images, copy share max %.3f, "
         "membership-inference AUC (pixels) %.2f-%.2f", len(snakemake.input), len(arms), len(added),
         added["copy_share"].max() if len(added) else float("nan"),
         table["mia_auc_pixels"].min(), table["mia_auc_pixels"].max())
above = added[added["copy_ok"].astype(str).eq("False")]
if len(above):
    log.warning("privacy: added sets above privacy.max_copy_share: %s",
                above[["arm", "repeat", "fold", "class"]].to_dict("records"))
