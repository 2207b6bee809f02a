"""Rule collect_gate: every GAN arm's gate tables as one table, js_divergence.tsv (the thesis' Table 3)."""
from pathlib import Path

from infantfer.arms import Arm, base_of, gate_tables_by_arm
from infantfer.augment import read_gate_table
from infantfer.io import write_tsv
from infantfer.logs import setup_logging

log = setup_logging(snakemake.log[0])
tables = {}
for path in snakemake.input:
    tables.setdefault(base_of(Path(path).stem), []).append(read_gate_table(path))  # gate/r{r}_f{f}_{base}.tsv
arms = {name: Arm(name=name, gan=True, base=base) for name, base in snakemake.params.gan_arms.items()}
table = gate_tables_by_arm(arms, tables)
write_tsv(table, snakemake.output[0])
log.info("%d gate tables of %d GAN arm(s), %d rows", len(snakemake.input), len(arms), len(table))
