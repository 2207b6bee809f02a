rule smoteenn:
    input:
        faces="results/{dataset}/faces.npz",
        folds="results/{dataset}/folds.tsv",
    output:
        resampled="results/{dataset}/smoteenn/{part}.npz",
        counts="results/{dataset}/smoteenn/{part}_counts.tsv",
    log:
        "logs/{dataset}/smoteenn/{part}.log",
    benchmark:
        "results/{dataset}/benchmarks/smoteenn/{part}.tsv"
    params:
        smoteenn=stage("smoteenn"),
    threads: 1
    resources:
        mem_mb=2000,
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/smoteenn.py"


rule class_counts:
    input:
        per_fold("results/{dataset}/smoteenn/r{repeat}_f{fold}_counts.tsv"),
        per_fold("results/{dataset}/cgan/r{repeat}_f{fold}_original/counts.tsv"),
        per_fold("results/{dataset}/cgan/r{repeat}_f{fold}_smoteenn/counts.tsv"),
    output:
        report(
            "results/{dataset}/class_counts.tsv",
            caption="../report/class_counts.rst",
            category="Class counts",
            subcategory="{dataset}",
        ),
    log:
        "logs/{dataset}/class_counts.log",
    threads: 1
    resources:
        mem_mb=500,
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/concat_tables.py"
