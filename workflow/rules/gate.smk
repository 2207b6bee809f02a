# Every checkpoint of a GAN run scored against the real training images, and per class the one whose
# images may be added (infantfer.gate); then every GAN arm's gate tables as one table.
rule gate:
    input:
        faces=rules.faces.output.faces,
        folds=part_folds,
        checkpoints=rules.cgan_train.output.checkpoints,
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
        *package_code("gate.py"),
    threads: 1
    resources:
        mem_mb=3000,
        runtime=60,  # minutes: SLURM's time limit (-t)
    conda:
        "../../envs/cgan.yaml"
    script:
        "../scripts/gate.py"


# The thesis' Table 3 (the file keeps its name, js_divergence.tsv).
rule collect_gate:
    input:
        per_gan_run("gate", "gate"),
    output:
        report(
            "results/{dataset}/js_divergence.tsv",
            caption="../report/js_divergence.rst",
            category="Dataset {dataset}",
            subcategory="3 Data (TSV)",
        ),
    log:
        "logs/{dataset}/collect_gate.log",
    params:
        gan_arms=gan_arm_bases,
        runs=gan_runs,
        *package_code("collect_gate.py"),
    threads: 1
    resources:
        mem_mb=500,
        runtime=60,  # minutes: SLURM's time limit (-t)
    conda:
        "../../envs/cgan.yaml"
    script:
        "../scripts/collect_gate.py"
