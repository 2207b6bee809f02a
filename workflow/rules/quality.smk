# How good each fold's GAN is at each checkpoint (infantfer.quality): the classification accuracy
# score against the fold's real test images, a no-skill generator's, and the membership AUC, beside
# the gate's two-sample AUC and copy share. For the report only: nothing that decides reads it.
rule quality:
    input:
        faces=rules.faces.output.faces,
        folds=part_folds,
        checkpoints=rules.cgan_train.output.checkpoints,
        gate=rules.gate.output.gate,
    output:
        quality="results/{dataset}/quality/{part}_{base}.tsv",
        by_class="results/{dataset}/quality_classes/{part}_{base}.tsv",
    log:
        "logs/{dataset}/quality/{part}_{base}.log",
    benchmark:
        "results/{dataset}/benchmarks/quality/{part}_{base}.tsv"
    params:
        face_size=lambda wildcards: config["datasets"][wildcards.dataset]["faces"]["size"],
        seed=lambda wildcards: config["datasets"][wildcards.dataset]["gate"]["seed"],
        *package_code("quality.py"),
    wildcard_constraints:
        part=parts.FOLD_PART_PATTERN,  # the balanced set's GAN has no test images
    threads: 1
    resources:
        mem_mb=3000,
        runtime=60,  # minutes: SLURM's time limit (-t)
    conda:
        "../../envs/cgan.yaml"
    script:
        "../scripts/quality.py"


rule collect_quality:
    input:
        quality=per_gan_run("quality", "quality"),
        by_class=per_gan_run("quality", "by_class"),
    output:
        quality=report(
            "results/{dataset}/gan_quality.tsv",
            caption="../report/gan_quality.rst",
            category="Dataset {dataset}",
            subcategory="3 Data (TSV)",
        ),
        by_class=report(
            "results/{dataset}/gan_quality_classes.tsv",
            caption="../report/gan_quality_classes.rst",
            category="Dataset {dataset}",
            subcategory="3 Data (TSV)",
        ),
    log:
        "logs/{dataset}/collect_quality.log",
    params:
        gan_arms=gan_arm_bases,
        runs=gan_runs,
        *package_code("collect_quality.py"),
    threads: 1
    resources:
        mem_mb=500,
        runtime=60,  # minutes: SLURM's time limit (-t)
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/collect_quality.py"
