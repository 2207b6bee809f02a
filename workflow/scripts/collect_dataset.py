"""Rule collect_dataset: one predictions, metrics, per-class F1 and confusion table per dataset."""
import pandas as pd

from infantfer.logs import setup_logging

log = setup_logging(snakemake.log[0])
for name in ("predictions", "metrics", "per_class", "confusion"):
    table = pd.concat([pd.read_csv(p, sep="\t", dtype={"id": str, "y_true": str, "y_pred": str, "class": str, "true": str, "pred": str}, keep_default_na=False) for p in snakemake.input[name]], ignore_index=True)
    table.to_csv(snakemake.output[name], sep="\t", index=False)
    log.info("%s: %d rows from %d folds", name, len(table), len(snakemake.input[name]))
