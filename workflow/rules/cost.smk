# What each stage of a dataset cost, measured (the heavy rules' benchmark: files) beside what the
# plan estimated (infantfer.cost), as nf-core's execution trace does.


rule cost:
    input:
        unpack(cost_benchmarks),
    output:
        report(
            "results/{dataset}/cost.tsv",
            caption="../report/cost.rst",
            category="Dataset {dataset}",
            subcategory="3 Data (TSV)",
        ),
    log:
        "logs/{dataset}/cost.log",
    params:
        images=lambda wildcards: IMAGE_COUNTS[wildcards.dataset],
        settings=settings_of_record,  # not where the dataset lies: a moved dataset reruns nothing
        step_s=known_step_s,  # this machine's measured GAN step: recorded, not a rerun trigger
        *package_code("cost.py"),
    threads: 1
    resources:
        mem_mb=500,
        runtime=60,  # minutes: SLURM's time limit (-t)
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/cost.py"
