rule cgan_train:
    input:
        faces="results/{dataset}/faces.npz",
        folds=part_folds,
        resampled=resampled_input,
    output:
        checkpoints="results/{dataset}/cgan/{part}_{base}/checkpoints.tsv",
    log:
        "logs/{dataset}/cgan/{part}_{base}.log",
    benchmark:
        "results/{dataset}/benchmarks/cgan/{part}_{base}.tsv"
    params:
        # only what changes a generator: gate and evaluate settings never retrain
        cgan=cgan_generator_settings,
        # not a declared output: Snakemake deletes the outputs of failed jobs, and a killed job
        # must find its checkpoints to resume
        checkpoint_root=lambda wildcards: f"results/{wildcards.dataset}/cgan_checkpoints",
        package_code=package_code("cgan_train.py"),
    wildcard_constraints:
        part=r"r\d+_f\d+",
    # GANs are the long jobs: the folds' start first, so that their gates and evaluations fill
    # the gaps instead of one of them running last while the other cores idle
    priority: 10
    # on SLURM, N GANs share one GPU job (workflow/profiles/slurm: group-components, and the
    # resources and scopes that make a group ask for one GPU, not N); local runs ignore groups
    group: "gans"
    threads: 1
    resources:
        mem_mb=4000,
        gpu=cgan_gpus,
        runtime=cgan_runtime,  # minutes, from steps, size, batch and device (common.smk)
    conda:
        "../../envs/cgan.yaml"
    script:
        "../scripts/cgan_train.py"


# The balanced set's GAN (part all), last among the GANs: only the short gate -> augment ->
# balanced_set chain waits for it, not the evaluation of every fold.
use rule cgan_train as cgan_train_all with:
    wildcard_constraints:
        part="all",
    priority: 1


rule gate:
    input:
        faces="results/{dataset}/faces.npz",
        folds=part_folds,
        checkpoints="results/{dataset}/cgan/{part}_{base}/checkpoints.tsv",
    output:
        gate="results/{dataset}/gate/{part}_{base}.tsv",
    log:
        "logs/{dataset}/gate/{part}_{base}.log",
    benchmark:
        "results/{dataset}/benchmarks/gate/{part}_{base}.tsv"
    params:
        gate=stage("gate"),
        privacy=stage("privacy"),
        face_size=lambda wildcards: config["datasets"][wildcards.dataset]["faces"]["size"],
        package_code=package_code("gate.py"),
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
        folds=part_folds,
        resampled=resampled_input,
        checkpoints="results/{dataset}/cgan/{part}_{base}/checkpoints.tsv",
        gate="results/{dataset}/gate/{part}_{base}.tsv",
    output:
        train="results/{dataset}/cgan/{part}_{base}/train.npz",
        privacy="results/{dataset}/cgan/{part}_{base}/privacy.tsv",
    log:
        "logs/{dataset}/augment/{part}_{base}.log",
    params:
        target_ratio=lambda wildcards: config["datasets"][wildcards.dataset]["cgan"]["target_ratio"],
        gate_seed=lambda wildcards: config["datasets"][wildcards.dataset]["gate"]["seed"],
        max_copy_share=lambda wildcards: config["datasets"][wildcards.dataset]["privacy"]["max_copy_share"],
        seed=lambda wildcards: config["datasets"][wildcards.dataset]["cgan"]["seed"],
        face_size=lambda wildcards: config["datasets"][wildcards.dataset]["faces"]["size"],
        package_code=package_code("augment.py"),
    threads: 1
    resources:
        mem_mb=3000,
    conda:
        "../../envs/cgan.yaml"
    script:
        "../scripts/augment.py"


rule js_divergence:
    input:
        gate_tables,
    output:
        report(
            "results/{dataset}/js_divergence.tsv",
            caption="../report/js_divergence.rst",
            category="Dataset {dataset}",
            subcategory="3 Data (TSV)",
        ),
    log:
        "logs/{dataset}/js_divergence.log",
    params:
        gan_arms=gan_arm_bases,
        package_code=package_code("js_divergence.py"),
    threads: 1
    resources:
        mem_mb=500,
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/js_divergence.py"


rule privacy:
    input:
        privacy_tables,
    output:
        report(
            "results/{dataset}/privacy.tsv",
            caption="../report/privacy.rst",
            category="Dataset {dataset}",
            subcategory="3 Data (TSV)",
        ),
    log:
        "logs/{dataset}/privacy.log",
    params:
        gan_arms=gan_arm_bases,
        package_code=package_code("privacy.py"),
    threads: 1
    resources:
        mem_mb=500,
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/privacy.py"
