# The balanced set users take home: from balanced.arm, or from the arm the folds rank best (a
# checkpoint: which arm's GAN and resampled set it needs is known only once the metrics exist).


checkpoint best_arm:
    input:
        statistics=rules.statistics.output[0],
        class_counts=rules.collect_dataset.output.counts,
    output:
        "results/{dataset}/best_arm.tsv",
    log:
        "logs/{dataset}/best_arm.log",
    params:
        # these statistics keys change verdicts, and so may change the winner (docs/reruns.md)
        statistics=lambda wildcards: {k: config["datasets"][wildcards.dataset]["statistics"][k]
                                      for k in ("primary_metric", "reference")},
        arms=lambda wildcards: list(ARMS[wildcards.dataset]),
        target_ratio=lambda wildcards: config["datasets"][wildcards.dataset]["balanced"]["target_ratio"],
        *package_code("best_arm.py"),
    threads: 1
    resources:
        mem_mb=500,
        runtime=60,  # minutes: SLURM's time limit (-t)
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/best_arm.py"


rule balanced_set:
    input:
        unpack(balanced_inputs),
    output:
        balanced=directory("results/{dataset}/balanced"),
        classes=report(
            "results/{dataset}/balanced_classes.tsv",
            caption="../report/balanced_classes.rst",
            category="Dataset {dataset}",
            subcategory="3 Data (TSV)",
        ),
    log:
        "logs/{dataset}/balanced_set.log",
    params:
        arm=lambda wildcards: config["datasets"][wildcards.dataset]["balanced"]["arm"],
        arms=balanced_arm_settings,
        target_ratio=lambda wildcards: config["datasets"][wildcards.dataset]["cgan"]["target_ratio"],
        *package_code("balanced_set.py"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,  # minutes: SLURM's time limit (-t)
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/balanced_set.py"
