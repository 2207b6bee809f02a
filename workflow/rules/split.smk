rule split:
    input:
        faces="results/{dataset}/faces.npz",
        manifest="results/{dataset}/manifest.tsv",
    output:
        folds="results/{dataset}/folds.tsv",
    log:
        "logs/{dataset}/split.log",
    params:
        split=stage("split"),
    threads: 1
    resources:
        mem_mb=1000,
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/split.py"
