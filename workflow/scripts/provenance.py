"""Rule provenance: the config as run, seeds, git commit, package versions and device."""
import json

from infantfer.io.atomic import write_text
from infantfer.logs import setup_logging
from infantfer.provenance import provenance, with_location

log = setup_logging(snakemake.log[0])
# the git state of the checkout the scripts run from (a param would rerun this job when the checkout moves)
record = provenance(with_location(snakemake.params.settings, snakemake.params.location), snakemake.scriptdir,
                    snakemake.input.checkpoints)
# settings in their order (arms keep theirs), atomically like every interface file
write_text(snakemake.output[0], json.dumps(record, indent=2, default=str))
log.info("git %s, device %s, GAN precision %s", record["git"]["commit"], record["device"]["summary"],
         record["gan_precision"] or "(no GAN)")
