# The privacy audit of the images each GAN run added (infantfer.privacy): probable copies of the
# real training faces and a membership-inference AUC, per part and base; then all folds as one table.
rule privacy:
    input:
        faces=rules.faces.output.faces,
        folds=part_folds,
        train=rules.augment.output.train,
    output:
        privacy="results/{dataset}/cgan/{part}_{base}/privacy.tsv",
    log:
        "logs/{dataset}/privacy/{part}_{base}.log",
    params:
        # the copy reference as the gate fitted it (same real images, same seed)
        gate_seed=lambda wildcards: config["datasets"][wildcards.dataset]["gate"]["seed"],
        max_copy_share=lambda wildcards: config["datasets"][wildcards.dataset]["privacy"]["max_copy_share"],
        *package_code("privacy.py"),
    threads: 1
    resources:
        mem_mb=3000,
        runtime=60,  # minutes: SLURM's time limit (-t)
    # the env the gate fits its copy reference in: the audit's copies are the gate's
    conda:
        "../../envs/cgan.yaml"
    script:
        "../scripts/privacy.py"


rule collect_privacy:
    input:
        per_gan_run("privacy", "privacy"),
    output:
        report(
            "results/{dataset}/privacy.tsv",
            caption="../report/privacy.rst",
            category="Dataset {dataset}",
            subcategory="3 Data (TSV)",
        ),
    log:
        "logs/{dataset}/collect_privacy.log",
    params:
        gan_arms=gan_arm_bases,
        runs=gan_runs,
        *package_code("collect_privacy.py"),
    threads: 1
    resources:
        mem_mb=500,
        runtime=60,  # minutes: SLURM's time limit (-t)
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/collect_privacy.py"
