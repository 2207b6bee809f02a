# A GAN run's base set topped up from each accepted class's chosen checkpoint (infantfer.augment).
rule augment:
    input:
        faces=rules.faces.output.faces,
        folds=part_folds,
        resampled=resampled_input,
        checkpoints=rules.cgan_train.output.checkpoints,
        gate=rules.gate.output.gate,
    output:
        train="results/{dataset}/cgan/{part}_{base}/train.npz",
    log:
        "logs/{dataset}/augment/{part}_{base}.log",
    params:
        target_ratio=lambda wildcards: config["datasets"][wildcards.dataset]["cgan"]["target_ratio"],
        seed=lambda wildcards: config["datasets"][wildcards.dataset]["cgan"]["seed"],
        face_size=lambda wildcards: config["datasets"][wildcards.dataset]["faces"]["size"],
        *package_code("augment.py"),
    threads: 1
    resources:
        mem_mb=3000,
        runtime=60,  # minutes: SLURM's time limit (-t)
    conda:
        "../../envs/cgan.yaml"
    script:
        "../scripts/augment.py"
