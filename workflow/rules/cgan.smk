rule cgan_train:
    input:
        faces=rules.faces.output.faces,
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
        *package_code("cgan_train.py"),
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


# The balanced set's GAN (part all), last among the GANs: only the short gate -> augment -> privacy
# -> balanced_set chain waits for it, not the evaluation of every fold.
use rule cgan_train as cgan_train_all with:
    wildcard_constraints:
        part="all",
    priority: 1

