# One job per repeat: repeat r's folds depend on split.folds and split.seed only (seed + r), so adding
# a repeat leaves the earlier repeats' folds, GANs and evaluations as they are.
rule split:
    input:
        faces=rules.faces.output.faces,
        manifest=rules.ingest.output.manifest,
    output:
        folds="results/{dataset}/folds/r{repeat}.tsv",
    log:
        "logs/{dataset}/split/r{repeat}.log",
    params:
        split=split_settings,
        label_key=lambda wildcards: label_filter_key(config["datasets"][wildcards.dataset]),  # named in its advice
        *package_code("split.py"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,  # minutes: SLURM's time limit (-t)
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/split.py"


# Every repeat's folds in one table, for users and the statistics' test/train ratio.
rule collect_folds:
    input:
        per_repeat(rules.split.output.folds),
    output:
        "results/{dataset}/folds.tsv",
    log:
        "logs/{dataset}/collect_folds.log",
    params:
        *package_code("collect_folds.py"),
    threads: 1
    resources:
        mem_mb=500,
        runtime=60,  # minutes: SLURM's time limit (-t)
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/collect_folds.py"
