# The answer: the method's tables per dataset, and (one job for everything across datasets) the ranks
# across datasets, the thesis' headline claim and the report's first page (results/answer.rst,
# included by workflow/report/workflow.rst) with its terminal twin results/summary.md.


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
        *package_code("tables.py"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,  # minutes: SLURM's time limit (-t)
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/tables.py"


rule answer:
    input:
        statistics=expand(rules.statistics.output[0], dataset=DATASETS),
        sanity=expand(rules.statistics.output.sanity, dataset=DATASETS),
        per_class=expand(rules.statistics.output.per_class, dataset=DATASETS),
        metrics=expand(rules.collect_dataset.output.metrics, dataset=DATASETS),
        forest=expand(rules.figures.output.forest, dataset=DATASETS),
        balanced=expand(rules.balanced_set.output.classes, dataset=DATASETS),
        quality=expand(rules.collect_quality.output.quality, dataset=GAN_DATASETS),
    output:
        thesis=report("results/thesis_claim.tsv", caption="../report/thesis_claim.rst", category="Answer"),
        across=report(
            "results/statistics_across_datasets.tsv",
            caption="../report/statistics_across.rst",
            category="Ranks across datasets",
        ),
        rst="results/answer.rst",
        html=report("results/answer.html", caption="../report/answer.rst", category="Answer"),
        markdown="results/summary.md",
    log:
        "logs/answer.log",
    params:
        # the facts the answer states (not the whole settings: a report shows its rules' params)
        facts={name: run_facts(config["datasets"][name]) for name in DATASETS},
        arms=common_arms,
        quality_datasets=GAN_DATASETS,
        *package_code("answer.py"),
    threads: 1
    resources:
        mem_mb=500,
        runtime=60,  # minutes: SLURM's time limit (-t)
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/answer.py"
