rule resample:
    input:
        faces=rules.faces.output.faces,
        folds=part_folds,
    output:
        resampled="results/{dataset}/resampled/{base}/{part}.npz",
        counts="results/{dataset}/resampled/{base}/{part}_counts.tsv",
    log:
        "logs/{dataset}/resample/{base}/{part}.log",
    benchmark:
        "results/{dataset}/benchmarks/resample/{base}/{part}.tsv"
    wildcard_constraints:
        base="|".join(map(re.escape, _RESAMPLED)) or "no-resampled-base",
    params:
        resampler=resampler_of,
        *package_code("resample.py"),
    priority: 20  # a GAN over a resampled base waits for it
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,  # minutes: SLURM's time limit (-t)
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/resample.py"
