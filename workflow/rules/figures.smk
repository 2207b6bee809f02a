# The report's figures: per dataset, and the critical-difference diagrams across datasets.


rule figures:
    input:
        unpack(figure_inputs),
    output:
        class_counts=report(
            "results/{dataset}/figures/class_counts.png",
            caption="../report/fig_class_counts.rst",
            category="Dataset {dataset}",
            subcategory="2 Figures",
        ),
        metrics=report(
            "results/{dataset}/figures/metrics_folds.png",
            caption="../report/fig_metrics.rst",
            category="Dataset {dataset}",
            subcategory="2 Figures",
        ),
        confusion=report(
            "results/{dataset}/figures/confusion.png",
            caption="../report/fig_confusion.rst",
            category="Dataset {dataset}",
            subcategory="2 Figures",
        ),
        per_class=report(
            "results/{dataset}/figures/per_class_f1.png",
            caption="../report/fig_per_class.rst",
            category="Dataset {dataset}",
            subcategory="2 Figures",
        ),
        forest=report(
            "results/{dataset}/figures/forest.png",
            caption="../report/fig_forest.rst",
            category="Dataset {dataset}",
            subcategory="2 Figures",
        ),
    log:
        "logs/{dataset}/figures.log",
    params:
        reference=lambda wildcards: config["datasets"][wildcards.dataset]["statistics"]["reference"],
        *package_code("figures.py"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,  # minutes: SLURM's time limit (-t)
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/figures.py"


# Planned only for a dataset with a GAN arm, or one whose report may show real faces
# (report.show_real_faces): see get_final_output in common.smk.
rule faces_figure:
    input:
        unpack(faces_figure_inputs),
    output:
        report(
            "results/{dataset}/figures/faces.png",
            caption="../report/fig_faces.rst",
            category="Dataset {dataset}",
            subcategory="2 Figures",
        ),
    log:
        "logs/{dataset}/faces_figure.log",
    params:
        show_real=lambda wildcards: config["datasets"][wildcards.dataset]["report"]["show_real_faces"],
        samples=figure_sample_names,
        *package_code("faces_figure.py"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,  # minutes: SLURM's time limit (-t)
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/faces_figure.py"


# Planned only for a dataset with a GAN arm.
rule gate_figure:
    input:
        rules.collect_gate.output[0],
    output:
        report(
            "results/{dataset}/figures/gate.png",
            caption="../report/fig_gate.rst",
            category="Dataset {dataset}",
            subcategory="2 Figures",
        ),
    log:
        "logs/{dataset}/gate_figure.log",
    params:
        gate=stage("gate"),
        *package_code("gate_figure.py"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,  # minutes: SLURM's time limit (-t)
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/gate_figure.py"


rule cd_diagram:
    input:
        expand(rules.collect_dataset.output.metrics, dataset=DATASETS),
    output:
        report(
            "results/figures/cd_{classifier}_{metric}.png",
            caption="../report/fig_cd.rst",
            category="Ranks across datasets",
        ),
    log:
        "logs/cd_{classifier}_{metric}.log",
    params:
        arms=common_arms,
        reference=lambda wildcards: config["datasets"][DATASETS[0]]["statistics"]["reference"],
        *package_code("cd_diagram.py"),
    wildcard_constraints:
        metric="|".join(METRICS),
    threads: 1
    resources:
        mem_mb=500,
        runtime=60,  # minutes: SLURM's time limit (-t)
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/cd_diagram.py"


rule quality_figure:
    input:
        rules.collect_quality.output.quality,
    output:
        report(
            "results/{dataset}/figures/gan_quality.png",
            caption="../report/fig_gan_quality.rst",
            category="Dataset {dataset}",
            subcategory="2 Figures",
        ),
    log:
        "logs/{dataset}/quality_figure.log",
    params:
        max_copy_share=lambda wildcards: config["datasets"][wildcards.dataset]["privacy"]["max_copy_share"],
        *package_code("quality_figure.py"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,  # minutes: SLURM's time limit (-t)
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/quality_figure.py"
