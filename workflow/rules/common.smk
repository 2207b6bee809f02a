# Everything rules must not do themselves: validate the config once, check the datasets before any
# job runs, and the input functions.
import sys
from pathlib import Path

import yaml
from snakemake.exceptions import WorkflowError

# The package lives in workflow/infantfer; it is installed editable, but the path also lets a
# plain checkout's rules import it.
sys.path.insert(0, str(Path(workflow.basedir) / "workflow"))

from infantfer.augment import generator_settings
from infantfer.config import STAGES, ConfigError, resolve_config
from infantfer.ingest import (
    LISTED_LAYOUTS,
    DataError,
    check_enough_groups,
    class_group_counts,
    list_images,
    listing_fingerprint,
)


def _datasets_of_user_configfiles():
    """Datasets named in --configfile files replace the demo of config/config.yaml (Snakemake
    would otherwise merge the two mappings and run the demo as well)."""
    named = {}
    for path in workflow.overwrite_configfiles or []:
        with open(path) as fh:
            data = yaml.safe_load(fh) or {}
        named.update(data.get("datasets") or {})
    return named


_user_datasets = _datasets_of_user_configfiles()
if _user_datasets:
    config["datasets"] = _user_datasets

# infantfer.config validates against workflow/schemas/config.schema.yaml and fills its defaults,
# like snakemake.utils.validate, but names the key at fault and its fix in one line, and merges
# each dataset's own stage settings over the top-level ones.
try:
    resolve_config(config)
    FINGERPRINTS = {}
    for _name, _ds in config["datasets"].items():
        _listing = list_images(_ds) if _ds["layout"] in LISTED_LAYOUTS else None  # listed once
        check_enough_groups(class_group_counts(_ds, _listing), _ds["split"]["folds"], _name)
        # ingest re-runs when a dataset's files change, not only when its settings do
        FINGERPRINTS[_name] = listing_fingerprint(_ds, _listing)
except (ConfigError, DataError) as _err:
    raise WorkflowError(str(_err)) from None

DATASETS = sorted(config["datasets"])


wildcard_constraints:
    dataset="|".join(DATASETS),
    repeat=r"\d+",
    fold=r"\d+",
    part=r"r\d+_f\d+|all",
    source="original|smoteenn",


def ds(wildcards):
    """The resolved settings of the wildcard's dataset."""
    return config["datasets"][wildcards.dataset]


def ingest_settings(wildcards):
    """What ingest reads: the dataset's own keys, without the stage sections, so that a change to
    a later stage never re-ingests."""
    return {k: v for k, v in config["datasets"][wildcards.dataset].items() if k not in STAGES}


def ingest_fingerprint(wildcards):
    return FINGERPRINTS[wildcards.dataset]


def stage(name):
    """A params function: the dataset's settings of one stage."""
    return lambda wildcards: config["datasets"][wildcards.dataset][name]


def fold_keys(dataset):
    split = config["datasets"][dataset]["split"]
    return [(r, f) for r in range(split["repeats"]) for f in range(split["folds"])]


def per_fold(pattern):
    """An input function: ``pattern`` for every repeat x fold of the wildcard's dataset."""

    def inputs(wildcards):
        return [pattern.format(dataset=wildcards.dataset, repeat=r, fold=f) for r, f in fold_keys(wildcards.dataset)]

    return inputs


def smoteenn_input(wildcards):
    """The SMOTEENN output a GAN run's base set comes from (nothing for source original)."""
    if wildcards.source == "smoteenn":
        return f"results/{wildcards.dataset}/smoteenn/{wildcards.part}.npz"
    return []


def cgan_generator_settings(wildcards):
    return generator_settings(config["datasets"][wildcards.dataset]["cgan"])


def cgan_gpus(wildcards):
    return 0 if config["datasets"][wildcards.dataset]["cgan"]["device"] == "cpu" else 1


def balanced_input(wildcards):
    source = config["datasets"][wildcards.dataset]["cgan"]["balanced_source"]
    return f"results/{wildcards.dataset}/cgan/all_{source}/train.npz"


def get_final_output():
    outputs = ["results/summary.tsv"]
    for name in DATASETS:
        outputs += [
            f"results/{name}/metrics.tsv",
            f"results/{name}/class_counts.tsv",
            f"results/{name}/js_divergence.tsv",
            f"results/{name}/balanced",
            f"results/{name}/provenance.json",
        ]
    return outputs
