# Every arm x classifier of each fold, scored on its real test images, and the folds' tables joined
# per dataset.


rule evaluate_fold:
    input:
        unpack(evaluate_inputs),
    output:
        predictions="results/{dataset}/evaluate/r{repeat}_f{fold}/predictions.tsv",
        metrics="results/{dataset}/evaluate/r{repeat}_f{fold}/metrics.tsv",
        per_class="results/{dataset}/evaluate/r{repeat}_f{fold}/per_class_f1.tsv",
        confusion="results/{dataset}/evaluate/r{repeat}_f{fold}/confusion.tsv",
        counts="results/{dataset}/evaluate/r{repeat}_f{fold}/class_counts.tsv",
    log:
        "logs/{dataset}/evaluate/r{repeat}_f{fold}.log",
    benchmark:
        "results/{dataset}/benchmarks/evaluate/r{repeat}_f{fold}.tsv"
    params:
        evaluate=stage("evaluate"),
        arms=arm_settings,
        *package_code("evaluate_fold.py"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=120,  # minutes: SLURM's time limit (-t); every arm x classifier of a fold
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/evaluate_fold.py"


rule collect_dataset:
    input:
        predictions=per_fold(rules.evaluate_fold.output.predictions),
        metrics=per_fold(rules.evaluate_fold.output.metrics),
        per_class=per_fold(rules.evaluate_fold.output.per_class),
        confusion=per_fold(rules.evaluate_fold.output.confusion),
        counts=per_fold(rules.evaluate_fold.output.counts),
    output:
        predictions="results/{dataset}/predictions.tsv",
        metrics=report(
            "results/{dataset}/metrics.tsv",
            caption="../report/metrics.rst",
            category="Dataset {dataset}",
            subcategory="3 Data (TSV)",
        ),
        per_class="results/{dataset}/per_class_f1.tsv",
        confusion="results/{dataset}/confusion.tsv",
        counts=report(
            "results/{dataset}/class_counts.tsv",
            caption="../report/class_counts.rst",
            category="Dataset {dataset}",
            subcategory="3 Data (TSV)",
        ),
    log:
        "logs/{dataset}/collect.log",
    params:
        *package_code("collect_dataset.py"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,  # minutes: SLURM's time limit (-t)
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/collect_dataset.py"
