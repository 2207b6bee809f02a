"""Rule cost: each stage's measured wall time, CPU time and peak memory beside its estimate."""
from infantfer.cost import DatasetFacts, estimated_by_stage, measured_table
from infantfer.io.tsv import write_tsv
from infantfer.logs import setup_logging

log = setup_logging(snakemake.log[0])
benchmarks = {rule: list(snakemake.input[rule]) for rule in snakemake.input.keys()}
facts = DatasetFacts(snakemake.params.images, snakemake.params.settings)
estimated = estimated_by_stage(benchmarks, snakemake.wildcards.dataset, facts, snakemake.params.step_s)
table = measured_table(benchmarks, estimated)
write_tsv(table, snakemake.output[0])
log.info("measured %.0f s of job time against %.0f s estimated",
         table["measured_s"].sum(), table["estimated_s"].sum())
