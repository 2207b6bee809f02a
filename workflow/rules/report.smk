# The answer: paired statistics per dataset, the method's tables and figures, and (one job for
# everything across datasets) the ranks across datasets, the thesis' headline claim and the report's
# first page (results/answer.rst, included by workflow/report/workflow.rst) with its terminal twin
# results/summary.md.


rule statistics:
    input:
        metrics="results/{dataset}/metrics.tsv",
        folds="results/{dataset}/folds.tsv",
    output:
        report(
            "results/{dataset}/statistics.tsv",
            caption="../report/statistics.rst",
            category="Dataset {dataset}",
            subcategory="3 Data (TSV)",
        ),
    log:
        "logs/{dataset}/statistics.log",
    params:
        statistics=stage("statistics"),
        arms=lambda wildcards: list(ARMS[wildcards.dataset]),
        folds=lambda wildcards: config["datasets"][wildcards.dataset]["split"]["folds"],
        package_code=package_code("statistics.py"),
    threads: 1
    resources:
        mem_mb=1000,
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/statistics.py"


rule tables:
    input:
        unpack(table_inputs),
    output:
        table2=report(
            "results/{dataset}/report/table2_class_counts.html",
            caption="../report/table2.rst",
            category="Dataset {dataset}",
            subcategory="1 Tables",
        ),
        table3=report(
            "results/{dataset}/report/table3_gate.html",
            caption="../report/table3.rst",
            category="Dataset {dataset}",
            subcategory="1 Tables",
        ),
        table4=report(
            "results/{dataset}/report/table4_arms.html",
            caption="../report/table4.rst",
            category="Dataset {dataset}",
            subcategory="1 Tables",
        ),
    log:
        "logs/{dataset}/tables.log",
    params:
        statistics=stage("statistics"),
        package_code=package_code("tables.py"),
    threads: 1
    resources:
        mem_mb=1000,
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/tables.py"


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
        faces=report(
            "results/{dataset}/figures/faces.png",
            caption="../report/fig_faces.rst",
            category="Dataset {dataset}",
            subcategory="2 Figures",
        ),
        gate=report(
            "results/{dataset}/figures/gate.png",
            caption="../report/fig_gate.rst",
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
    log:
        "logs/{dataset}/figures.log",
    params:
        show_real=lambda wildcards: config["datasets"][wildcards.dataset]["report"]["show_real_faces"],
        samples=figure_sample_names,
        gate=stage("gate"),
        package_code=package_code("figures.py"),
    threads: 1
    resources:
        mem_mb=2000,
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/figures.py"


rule cd_diagram:
    input:
        expand("results/{dataset}/metrics.tsv", dataset=DATASETS),
    output:
        report(
            "results/figures/cd_{classifier}_{metric}.png",
            caption="../report/fig_cd.rst",
            category="Across datasets",
        ),
    log:
        "logs/cd_{classifier}_{metric}.log",
    params:
        arms=common_arms,
        package_code=package_code("cd_diagram.py"),
    wildcard_constraints:
        metric="macro_f1|g_mean|auc_ovr",
    threads: 1
    resources:
        mem_mb=500,
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/cd_diagram.py"


rule answer:
    input:
        statistics=expand("results/{dataset}/statistics.tsv", dataset=DATASETS),
        metrics=expand("results/{dataset}/metrics.tsv", dataset=DATASETS),
    output:
        thesis=report("results/thesis_claim.tsv", caption="../report/thesis_claim.rst", category="0 Answer"),
        across=report(
            "results/statistics_across_datasets.tsv",
            caption="../report/statistics_across.rst",
            category="Across datasets",
        ),
        rst="results/answer.rst",
        html=report("results/answer.html", caption="../report/answer.rst", category="0 Answer"),
        markdown="results/summary.md",
    log:
        "logs/answer.log",
    params:
        # the facts the answer states (not the whole settings: a report shows its rules' params)
        facts={name: run_facts(config["datasets"][name]) for name in DATASETS},
        arms=common_arms,
        package_code=package_code("answer.py"),
    threads: 1
    resources:
        mem_mb=500,
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/answer.py"
