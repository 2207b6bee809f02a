"""Rule balanced_set: the balanced training set users take home, as PNGs, a manifest and a class report."""
from infantfer.arms import arms_of
from infantfer.augment import read_gate_table
from infantfer.balanced import balanced_set, chosen_arm
from infantfer.gan_run import part_sets
from infantfer.io.npz import TrainingSet
from infantfer.io.tsv import read_numeric_tsv, write_tsv
from infantfer.logs import setup_logging

setup_logging(snakemake.log[0])
inp = snakemake.input
name, why = chosen_arm(snakemake.params.arm, inp.best if "best" in inp.keys() else None)
arm = arms_of({"arms": snakemake.params.arms})[name]
real, _, classes = part_sets(inp.faces, None, "all")  # every real image
ts = TrainingSet.load(inp.train) if "train" in inp.keys() else real
gate = read_gate_table(inp.gate) if arm.gan else None
audit = read_numeric_tsv(inp.privacy) if arm.gan else None
report = balanced_set(arm, ts, real.y, classes, snakemake.params.target_ratio, snakemake.output.balanced,
                      gate=gate, audit=audit, why=why)
write_tsv(report, snakemake.output.classes)
