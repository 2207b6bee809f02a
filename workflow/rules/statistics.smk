# What the folds' metrics say: the paired comparisons of the arms per dataset, and the mean and sd of
# every metric across datasets.


rule statistics:
    input:
        unpack(statistics_inputs),
    output:
        report(
            "results/{dataset}/statistics.tsv",
            caption="../report/statistics.rst",
            category="Dataset {dataset}",
            subcategory="3 Data (TSV)",
        ),
        sanity=report(
            "results/{dataset}/sanity.tsv",
            caption="../report/sanity.rst",
            category="Dataset {dataset}",
            subcategory="3 Data (TSV)",
        ),
        per_class=report(
            "results/{dataset}/per_class_statistics.tsv",
            caption="../report/per_class_statistics.rst",
            category="Dataset {dataset}",
            subcategory="3 Data (TSV)",
        ),
    log:
        "logs/{dataset}/statistics.log",
    params:
        statistics=stage("statistics"),
        gate=stage("gate"),  # what the gate judges by: whether it could refuse anything
        arms=lambda wildcards: list(ARMS[wildcards.dataset]),
        folds=lambda wildcards: config["datasets"][wildcards.dataset]["split"]["folds"],
        *package_code("statistics.py"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,  # minutes: SLURM's time limit (-t)
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/statistics.py"


rule summary:
    input:
        expand(rules.collect_dataset.output.metrics, dataset=DATASETS),
    output:
        report("results/summary.tsv", caption="../report/summary.rst", category="Ranks across datasets"),
    log:
        "logs/summary.log",
    params:
        *package_code("summary.py"),
    threads: 1
    resources:
        mem_mb=500,
        runtime=60,  # minutes: SLURM's time limit (-t)
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/summary.py"
