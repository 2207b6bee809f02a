rule faces:
    input:
        manifest=rules.ingest.output.manifest,
    output:
        faces="results/{dataset}/faces.npz",
        # not in the report: it names every original file
        report="results/{dataset}/faces_report.tsv",
    log:
        "logs/{dataset}/faces.log",
    benchmark:
        "results/{dataset}/benchmarks/faces.tsv"
    params:
        faces=stage("faces"),
        max_pixels=lambda wildcards: config["datasets"][wildcards.dataset]["ingest"]["max_pixels"],
        images_root=images_root_of,  # not a rerun trigger: moving the data reruns nothing
        *package_code("faces.py"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,  # minutes: SLURM's time limit (-t)
    conda:
        "../../envs/faces.yaml"
    script:
        "../scripts/faces.py"
