rule faces:
    input:
        manifest="results/{dataset}/manifest.tsv",
    output:
        faces="results/{dataset}/faces.npz",
        report=report(
            "results/{dataset}/faces_report.tsv",
            caption="../report/faces_report.rst",
            category="Faces",
            subcategory="{dataset}",
        ),
    log:
        "logs/{dataset}/faces.log",
    benchmark:
        "results/{dataset}/benchmarks/faces.tsv"
    params:
        faces=stage("faces"),
    threads: 1
    resources:
        mem_mb=2000,
    conda:
        "../../envs/faces.yaml"
    script:
        "../scripts/faces.py"
