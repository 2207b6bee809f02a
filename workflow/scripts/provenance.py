"""Rule provenance: the config as run, seeds, git commit, package versions and device."""
import json

from infantfer.logs import setup_logging
from infantfer.provenance import provenance

log = setup_logging(snakemake.log[0])
record = provenance(snakemake.params.settings, snakemake.params.workflow_dir)
with open(snakemake.output[0], "w") as fh:
    json.dump(record, fh, indent=2, sort_keys=True, default=str)
log.info("git %s, device %s", record["git"]["commit"], record["device"]["summary"])
