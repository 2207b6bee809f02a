# infantfer: balance scarce, imbalanced infant facial-expression datasets, and measure whether it helped.
# Table of contents only; the stages live in workflow/rules/, their logic in workflow/infantfer/.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/faces.smk"
include: "workflow/rules/split.smk"
include: "workflow/rules/resample.smk"
include: "workflow/rules/cgan.smk"
include: "workflow/rules/gate.smk"
include: "workflow/rules/augment.smk"
include: "workflow/rules/privacy.smk"
include: "workflow/rules/quality.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/statistics.smk"
include: "workflow/rules/balanced.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/provenance.smk"
include: "workflow/rules/cost.smk"


# Table-joining jobs of a second or less: on a cluster (--executor slurm) they run where snakemake
# runs instead of waiting in the queue.
localrules:
    collect_dataset,
    collect_folds,
    summary,
    collect_gate,
    collect_privacy,
    collect_quality,
    best_arm,
    answer,
    cost,


rule all:
    input:
        get_final_output(),
    default_target: True
