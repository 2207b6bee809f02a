rule cgan_train:
    input:
        faces="results/{dataset}/faces.npz",
        folds="results/{dataset}/folds.tsv",
        smoteenn=smoteenn_input,
    output:
        checkpoints="results/{dataset}/cgan/{part}_{source}/checkpoints.tsv",
    log:
        "logs/{dataset}/cgan/{part}_{source}.log",
    benchmark:
        "results/{dataset}/benchmarks/cgan/{part}_{source}.tsv"
    params:
        # only what changes a generator: gate and evaluate settings never retrain
        cgan=cgan_generator_settings,
        # not a declared output: Snakemake deletes the outputs of failed jobs, and a killed job
        # must find its checkpoints to resume
        checkpoint_root=lambda wildcards: f"results/{wildcards.dataset}/cgan_checkpoints",
    threads: 1
    resources:
        mem_mb=4000,
        gpu=cgan_gpus,
    conda:
        "../../envs/cgan.yaml"
    script:
        "../scripts/cgan_train.py"


rule gate:
    input:
        faces="results/{dataset}/faces.npz",
        folds="results/{dataset}/folds.tsv",
        checkpoints="results/{dataset}/cgan/{part}_{source}/checkpoints.tsv",
    output:
        gate="results/{dataset}/gate/{part}_{source}.tsv",
    log:
        "logs/{dataset}/gate/{part}_{source}.log",
    benchmark:
        "results/{dataset}/benchmarks/gate/{part}_{source}.tsv"
    params:
        gate=stage("gate"),
        face_size=lambda wildcards: config["datasets"][wildcards.dataset]["faces"]["size"],
    threads: 1
    resources:
        mem_mb=3000,
    conda:
        "../../envs/cgan.yaml"
    script:
        "../scripts/gate.py"


rule augment:
    input:
        faces="results/{dataset}/faces.npz",
        folds="results/{dataset}/folds.tsv",
        smoteenn=smoteenn_input,
        checkpoints="results/{dataset}/cgan/{part}_{source}/checkpoints.tsv",
        gate="results/{dataset}/gate/{part}_{source}.tsv",
    output:
        train="results/{dataset}/cgan/{part}_{source}/train.npz",
        counts="results/{dataset}/cgan/{part}_{source}/counts.tsv",
    log:
        "logs/{dataset}/augment/{part}_{source}.log",
    params:
        target_ratio=lambda wildcards: config["datasets"][wildcards.dataset]["cgan"]["target_ratio"],
        seed=lambda wildcards: config["datasets"][wildcards.dataset]["cgan"]["seed"],
        face_size=lambda wildcards: config["datasets"][wildcards.dataset]["faces"]["size"],
    threads: 1
    resources:
        mem_mb=3000,
    conda:
        "../../envs/cgan.yaml"
    script:
        "../scripts/augment.py"


rule js_divergence:
    input:
        per_fold("results/{dataset}/gate/r{repeat}_f{fold}_original.tsv"),
        per_fold("results/{dataset}/gate/r{repeat}_f{fold}_smoteenn.tsv"),
    output:
        report(
            "results/{dataset}/js_divergence.tsv",
            caption="../report/js_divergence.rst",
            category="Gate",
            subcategory="{dataset}",
        ),
    log:
        "logs/{dataset}/js_divergence.log",
    threads: 1
    resources:
        mem_mb=500,
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/concat_tables.py"


rule balanced_set:
    input:
        train=balanced_input,
        gate=lambda wildcards: f"results/{wildcards.dataset}/gate/all_{config['datasets'][wildcards.dataset]['cgan']['balanced_source']}.tsv",
    output:
        directory("results/{dataset}/balanced"),
    log:
        "logs/{dataset}/balanced_set.log",
    threads: 1
    resources:
        mem_mb=2000,
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/balanced_set.py"
