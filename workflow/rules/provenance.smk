# What each dataset's results were computed with: settings, seeds, git commit, versions, device.


rule provenance:
    input:
        metrics=rules.collect_dataset.output.metrics,
        faces_report=rules.faces.output.report,
        checkpoints=per_gan_run("cgan_train", "checkpoints"),  # the precision each GAN trained in
    output:
        "results/{dataset}/provenance.json",
    log:
        "logs/{dataset}/provenance.log",
    params:
        settings=settings_of_record,
        location=dataset_location,  # recorded, not a rerun trigger
        *package_code("provenance.py"),
    # it imports torch (seconds): start it as soon as the metrics exist, beside the statistics,
    # rather than last at the DAG's tail
    priority: 1
    threads: 1
    resources:
        mem_mb=500,
        runtime=60,  # minutes: SLURM's time limit (-t)
    conda:
        "../../envs/cgan.yaml"  # torch: the precision each GAN trained in is read from its checkpoint
    script:
        "../scripts/provenance.py"
