rule ingest:
    output:
        manifest="results/{dataset}/manifest.tsv",
    log:
        "logs/{dataset}/ingest.log",
    benchmark:
        "results/{dataset}/benchmarks/ingest.tsv"
    params:
        settings=ingest_settings,
        location=dataset_location,  # not a rerun trigger: moving the data reruns nothing
        files=ingest_fingerprint,
        image_dir=lambda wildcards: image_dir(wildcards.dataset),
        layout_code=layout_code,
        *package_code("ingest.py"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,  # minutes: SLURM's time limit (-t)
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/ingest.py"
