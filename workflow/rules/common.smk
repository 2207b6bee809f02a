# Everything rules must not do themselves: validate the config once, check the datasets before any
# job runs, and the input functions.
import atexit
import math
import re
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.io import strip_wildcard_constraints
from snakemake.logging import logger

# The package lives in workflow/infantfer and is installed into the environment that runs
# Snakemake (the README's venv: editable; each conda env: by its post-deploy script).
try:
    import infantfer
except ImportError:
    raise WorkflowError(
        f"the package infantfer is not installed in this Python ({sys.executable}). Fix: install it from "
        f"the checkout, e.g. `bash envs/install.sh` (the README's first command) or `pip install -e "
        f"{workflow.basedir}`, and run Snakemake from that environment."
    ) from None

if Path(infantfer.__file__).resolve().parent != (Path(workflow.basedir) / "workflow" / "infantfer").resolve():
    # the jobs run the installed package, while the rules' code digests read this checkout's
    logger.warning(f"infantfer is imported from {Path(infantfer.__file__).parent}, not from this checkout "
                   f"({workflow.basedir}): the jobs run that code. Install this checkout (pip install -e .) to run its own.")

from infantfer.startup import process_age_s, slurm_stall_note

if (_note := slurm_stall_note(process_age_s())):
    logger.warning(_note)

from infantfer.arms import ORIGINAL, arms_of, gan_bases, resampled_bases
from infantfer.gan_run import generator_settings
from infantfer.interrupts import stop_gans_on_sigterm
from infantfer.cost import GPU_STEP_S, DatasetFacts, Job, OverBudget, announce, modelled_cpu_step_s
from infantfer.step_time import GanStepTimes, cuda_visible
from infantfer.code_digests import CodeDigests
from infantfer.report import run_facts
from infantfer import parts
from infantfer.method import METHOD_CLASSIFIER
from infantfer.metrics import METRICS
from infantfer.parts import parse_part
from infantfer.config import STAGES, ConfigError, add_demo_if_no_datasets, resolve_config
from infantfer.ingest import (
    LAYOUTS,
    LISTED_LAYOUTS,
    LOCATION_KEYS,
    DataError,
    FileHashes,
    check_shared_images,
    content_hashes,
    images_root,
    check_enough_groups,
    class_group_counts,
    label_filter_key,
    list_images,
    listing_fingerprint,
    planned_image_count,
)

# infantfer.config validates against workflow/schemas/config.schema.yaml and fills its defaults,
# like snakemake.utils.validate, but names the key at fault and its fix in one line, merges each
# dataset's own stage settings over the top-level ones and resolves its arms. With no dataset
# named anywhere, the demo of config/demo.yaml runs.
try:
    add_demo_if_no_datasets(config, Path(workflow.basedir) / "config" / "demo.yaml")
    resolve_config(config, config_files=workflow.configfiles)
    FINGERPRINTS = {}
    IMAGE_COUNTS = {}  # for the cost estimate (infantfer.cost)
    _hashes = FileHashes(Path(".snakemake") / "infantfer" / "file_hashes.json")
    _contents = {}
    for _name, _ds in config["datasets"].items():
        _listing = list_images(_ds) if _ds["layout"] in LISTED_LAYOUTS else None  # listed once
        check_enough_groups(class_group_counts(_ds, _listing), _ds["split"]["folds"], _name, label_filter_key(_ds))
        # ingest re-runs when a dataset's files change (names inside it, sizes, contents), not
        # when it moves, and not only when its settings do
        FINGERPRINTS[_name] = listing_fingerprint(_ds, _listing, _hashes)
        IMAGE_COUNTS[_name] = planned_image_count(_ds, _listing)
        _contents[_name] = (_ds, content_hashes(_ds, _listing, _hashes))
    _hashes.save()
    for _warning in check_shared_images(_contents):
        logger.warning(f"WARNING: {_warning}")
except (ConfigError, DataError) as _err:
    raise WorkflowError(str(_err)) from None

DATASETS = sorted(config["datasets"])
ARMS = {name: arms_of(ds) for name, ds in config["datasets"].items()}
GAN_DATASETS = [d for d in DATASETS if gan_bases(ARMS[d])]  # those with a gan_quality.tsv
_RESAMPLED = sorted({b for arms in ARMS.values() for b in resampled_bases(arms)})


wildcard_constraints:
    dataset="|".join(DATASETS),
    repeat=r"\d+",
    fold=r"\d+",
    part=parts.PART_PATTERN,
    base="|".join(map(re.escape, [ORIGINAL, *_RESAMPLED])),


# Snakemake answers SIGTERM by waiting for the running jobs, hours for a GAN: a GAN of this run
# stops at its next step instead and keeps its checkpoints; a GAN whose Snakemake was killed stops
# too (infantfer.interrupts). Ctrl-C reaches the jobs by itself.
onstart:
    stop_gans_on_sigterm(logger)
    announce_cost(may_stop=not workflow.touch)


# What the run will cost, from the jobs Snakemake plans (missing or out-of-date outputs only): said
# before any job of a run (onstart) or after a dry-run's job list; a local run over plan.max_hours
# without a GPU stops here (infantfer.cost).
def planned_jobs():
    dag = workflow.dag
    needrun = list(dag.needrun_jobs(exclude_finished=False))
    keys = {job: str(job.jobid) for job in needrun}
    return [Job(job.rule.name, tuple(sorted(job.wildcards_dict.items())), keys[job],
                tuple(keys[d] for d in dag.dependencies[job] if d in keys), _runtime_min(job)) for job in needrun]


def _runtime_min(job):
    runtime = job.resources.get("runtime")
    return runtime if isinstance(runtime, (int, float)) else None


def _cores():
    try:
        return workflow.cores
    except WorkflowError:  # a SLURM run without --cores: its cost is said per job kind
        return 1


def announce_cost(may_stop, say=logger.info):
    facts = {name: DatasetFacts(IMAGE_COUNTS[name], ds) for name, ds in config["datasets"].items()}
    try:
        announce(planned_jobs(), facts, GanStepTimes(), _cores(), local=workflow.local_exec,
                 may_stop=may_stop, max_hours=config["plan"]["max_hours"], gpu_visible=cuda_visible, say=say)
    except OverBudget as over:
        raise WorkflowError(str(over)) from None


def _announce_after_dry_run():
    # a dry-run calls no hook: its DAG is complete once Snakemake has printed the job list
    if workflow.executor_plugin is not None and workflow.dryrun and getattr(workflow, "dag", None) is not None:
        announce_cost(may_stop=False, say=lambda text: print(text, file=sys.stderr))  # the logger is closed by now


atexit.register(_announce_after_dry_run)


# What a job runs, as params: one `module@digest` value per infantfer module its script reaches, and
# the script's own (infantfer.code_digests). A change that can change a result reruns the jobs that
# run it, and Snakemake's reason names the module; comments, docstrings, log wording, the package
# version and, for jobs that draw nothing for people, display names rerun nothing. The workflow
# profiles leave out Snakemake's own code trigger, which reruns a script rule whenever the script
# file is newer than its outputs (a git pull, a fresh checkout, a copy).
_CODE_DIGESTS = CodeDigests(Path(".snakemake") / "infantfer" / "code_digests.json",
                            package_dir=Path(workflow.basedir) / "workflow" / "infantfer")


def package_code(script):
    digests = _CODE_DIGESTS.of(Path(workflow.basedir) / "workflow" / "scripts" / script)
    _CODE_DIGESTS.save()  # a no-op unless a module's content is new
    return digests


def layout_code(wildcards):
    """The code digest of a package only this dataset's layout runs (the demo's drawing), or ""."""
    package = LAYOUTS[config["datasets"][wildcards.dataset]["layout"]].package
    if not package:
        return ""
    digest = _CODE_DIGESTS.of_package(package)
    _CODE_DIGESTS.save()
    return digest


def ds(wildcards):
    """The resolved settings of the wildcard's dataset."""
    return config["datasets"][wildcards.dataset]


def ingest_settings(wildcards):
    """What ingest reads: the dataset's own keys, without the stage sections and arms, so that a
    change to a later stage never re-ingests, and without where the dataset lies (its files'
    contents are in ingest_fingerprint)."""
    return {k: v for k, v in config["datasets"][wildcards.dataset].items()
            if k not in (*STAGES, "arms", *LOCATION_KEYS)}


def dataset_location(wildcards, input):
    """Where the dataset lies: its path and manifest as configured. A params function of `input`,
    which Snakemake leaves out of its params trigger (a param derived from the input files): moving
    a dataset, or the whole project, reruns nothing, while its contents are in the fingerprint."""
    ds = config["datasets"][wildcards.dataset]
    return {k: ds[k] for k in LOCATION_KEYS if k in ds}


def image_dir(dataset):
    """Where ingest writes the images of a layout that draws or decodes them (demo, pixels_csv)."""
    return f"results/{dataset}/images"


def images_root_of(wildcards, input):
    """The folder the manifest's paths are relative to (infantfer.ingest.images_root). A function of
    `input`, which Snakemake leaves out of its params trigger, like dataset_location."""
    return str(images_root(config["datasets"][wildcards.dataset], image_dir(wildcards.dataset)))


def settings_of_record(wildcards):
    """The dataset's resolved settings for provenance.json, less its location (dataset_location)."""
    return {k: v for k, v in config["datasets"][wildcards.dataset].items() if k not in LOCATION_KEYS}


def ingest_fingerprint(wildcards):
    return FINGERPRINTS[wildcards.dataset]


def stage(name):
    """A params function: the dataset's settings of one stage."""
    return lambda wildcards: config["datasets"][wildcards.dataset][name]


def split_settings(wildcards):
    """What one repeat's folds depend on: not split.repeats (a new repeat splits only itself)."""
    return {k: v for k, v in config["datasets"][wildcards.dataset]["split"].items() if k != "repeats"}


def result(rule, output, **wildcards):
    """The path of a rule's output for these wildcards: every result path is spelled once, in the
    output: directive of the rule that writes it, and read from there."""
    files = getattr(rules, rule).output
    pattern = files[output] if isinstance(output, int) else getattr(files, output)
    return pattern.format(**wildcards)


def per_repeat(pattern):
    """An input function: ``pattern`` for every repeat of the wildcard's dataset."""

    def inputs(wildcards):
        repeats = config["datasets"][wildcards.dataset]["split"]["repeats"]
        return [pattern.format(dataset=wildcards.dataset, repeat=r) for r in range(repeats)]

    return inputs


def part_folds(wildcards):
    """The folds table a part's job reads: its repeat's; none for part all, which is every image."""
    rf = parse_part(wildcards.part)
    return [] if rf is None else result("split", "folds", dataset=wildcards.dataset, repeat=rf[0])


def fold_parts(dataset):
    split = config["datasets"][dataset]["split"]
    return parts.fold_parts(split["repeats"], split["folds"])


def per_fold(pattern):
    """An input function: ``pattern`` (with {repeat} and {fold}) for every repeat x fold of the
    wildcard's dataset."""

    def inputs(wildcards):
        return [pattern.format(dataset=wildcards.dataset, repeat=r, fold=f)
                for r, f in map(parse_part, fold_parts(wildcards.dataset))]

    return inputs


def resampled_path(dataset, base, part):
    return result("resample", "resampled", dataset=dataset, base=base, part=part)


def topped_up_path(dataset, base, part):
    return result("augment", "train", dataset=dataset, base=base, part=part)


def resampled_input(wildcards):
    """The resampled set a GAN run's base is (nothing for the real images, base original)."""
    if wildcards.base == ORIGINAL:
        return []
    return resampled_path(wildcards.dataset, wildcards.base, wildcards.part)


def resampler_of(wildcards):
    """The resampler and its full settings of the wildcard's base."""
    arm = resampled_bases(ARMS[wildcards.dataset])[wildcards.base]
    return {"resampler": arm.resampler, "params": arm.params}


def cgan_generator_settings(wildcards):
    return generator_settings(config["datasets"][wildcards.dataset]["cgan"])


def cgan_gpus(wildcards):
    return 0 if config["datasets"][wildcards.dataset]["cgan"]["device"] == "cpu" else 1


# A GAN job's time limit (`runtime`, minutes; SLURM's -t) from its settings, by the cost model's
# step (infantfer.cost): one CPU core, 15 ms + 3.4 us x batch x size^2 (16 px batch 32: 43 ms,
# measured 41; 32 px batch 64: 238, measured 237; 48 px batch 64: 516, measured 509); a GPU, 25 ms
# whatever the batch and size (21.6 ms measured on an H200, 48 px batch 64; the tiny-data regime is
# launch-bound). Plus 60 s of start-up, times 2 for a shared or slower node, at least 10
# minutes: 48 px, 3000 steps, batch 64 -> 54 min on CPU, 10 (the floor) on a GPU. With device
# auto the GPU figure is used; a GPU node whose torch cannot use CUDA trains on CPU (its log warns)
# and may hit the limit: the rerun resumes from the last checkpoint. Override with
# `--set-resources cgan_train:runtime=M`.
CGAN_RUNTIME = {"start_s": 60, "safety": 2, "floor_min": 10}


def cgan_runtime(wildcards, attempt=1):
    """Minutes; each retry (`retries` of the SLURM profile) doubles it, and the GAN resumes from its
    last checkpoint: a job that hit its limit (a slow node, a GPU node training on CPU) gets more."""
    settings = config["datasets"][wildcards.dataset]
    cgan, t = settings["cgan"], CGAN_RUNTIME
    size = cgan["size"]  # 0 (the faces' size) is resolved once, by infantfer.config
    step = modelled_cpu_step_s(cgan["batch_size"], size) if cgan["device"] == "cpu" else GPU_STEP_S
    seconds = (t["start_s"] + cgan["steps"] * step) * t["safety"]
    return max(t["floor_min"], math.ceil(seconds / 60)) * attempt


def arm_settings(wildcards):
    """Every arm of the dataset, resolved: what evaluate assembles and weighs."""
    return config["datasets"][wildcards.dataset]["arms"]


def balanced_arm_settings(wildcards):
    """The balanced set's arm's settings (every arm's with best, which may choose any)."""
    arms = config["datasets"][wildcards.dataset]["arms"]
    wanted = config["datasets"][wildcards.dataset]["balanced"]["arm"]
    return arms if wanted == "best" else {wanted: arms[wanted]}


def gan_arm_bases(wildcards):
    """GAN arm -> its base: all the gate tables' assembly needs (other arms never rerun it)."""
    return {a.name: a.base for a in ARMS[wildcards.dataset].values() if a.gan}


def arm_training_file(dataset, arm, part):
    """The file an arm's training set of one part is (None: the real images of the part)."""
    if arm.gan:
        return topped_up_path(dataset, arm.base, part)
    if arm.resampled:
        return resampled_path(dataset, arm.base, part)
    return None


def evaluate_inputs(wildcards):
    """Faces, folds, and of one fold: each resampled base with its step counts, and each GAN
    base's topped-up set; arms are assembled from these."""
    d, part = wildcards.dataset, parts.part_name(wildcards.repeat, wildcards.fold)
    inputs = {"faces": result("faces", "faces", dataset=d), "folds": result("split", "folds", dataset=d, repeat=wildcards.repeat)}
    for base in resampled_bases(ARMS[d]):
        inputs[f"resampled_{base}"] = resampled_path(d, base, part)
        inputs[f"steps_{base}"] = result("resample", "counts", dataset=d, base=base, part=part)
    for base in gan_bases(ARMS[d]):
        inputs[f"topped_{base}"] = topped_up_path(d, base, part)
    return inputs


def gan_runs(wildcards):
    """(part, base) of every fold GAN run of the dataset, base by base: the order of the per-run
    tables that collect_gate and collect_privacy join (they are told it, never read it from names)."""
    return [(part, base) for base in gan_bases(ARMS[wildcards.dataset]) for part in fold_parts(wildcards.dataset)]


def per_gan_run(rule, output):
    """An input function: one output of ``rule`` for every fold GAN run, in the order of gan_runs."""

    def inputs(wildcards):
        return [result(rule, output, dataset=wildcards.dataset, part=part, base=base) for part, base in gan_runs(wildcards)]

    return inputs


def balanced_arm(wildcards):
    """The arm the balanced set is made from: balanced.arm, or the winner of best_arm."""
    wanted = config["datasets"][wildcards.dataset]["balanced"]["arm"]
    if wanted != "best":
        return wanted
    from infantfer.balanced import read_best_arm

    return read_best_arm(checkpoints.best_arm.get(dataset=wildcards.dataset).output[0])


def balanced_inputs(wildcards):
    """The balanced set's arm made from all real images, and its gate table and privacy audit when it
    has a GAN."""
    arm = ARMS[wildcards.dataset][balanced_arm(wildcards)]
    d = wildcards.dataset
    inputs = {"faces": result("faces", "faces", dataset=d)}
    train = arm_training_file(d, arm, parts.ALL)
    if train:
        inputs["train"] = train
    if arm.gan:
        inputs["gate"] = result("gate", "gate", dataset=d, part=parts.ALL, base=arm.base)
        inputs["privacy"] = result("privacy", "privacy", dataset=d, part=parts.ALL, base=arm.base)
    if config["datasets"][d]["balanced"]["arm"] == "best":
        inputs["best"] = result("best_arm", 0, dataset=d)
    return inputs


def common_arms(wildcards=None):
    """Arms every dataset has (the first dataset's order): what is ranked across datasets."""
    first = list(ARMS[DATASETS[0]])
    return [a for a in first if all(a in ARMS[d] for d in DATASETS)]


def statistics_inputs(wildcards):
    """The metrics and folds the comparisons need, and what the checks before them read: the class
    counts (ENN's cleaning), the predictions (one prediction's weight) and, with a GAN arm, the gate."""
    d = wildcards.dataset
    inputs = {"metrics": result("collect_dataset", "metrics", dataset=d), "folds": result("collect_folds", 0, dataset=d),
              "class_counts": result("collect_dataset", "counts", dataset=d),
              "predictions": result("collect_dataset", "predictions", dataset=d),
              "per_class": result("collect_dataset", "per_class", dataset=d)}
    if gan_bases(ARMS[d]):
        inputs["js"] = result("collect_gate", 0, dataset=d)
    return inputs


def table_inputs(wildcards):
    d = wildcards.dataset
    inputs = {"class_counts": result("collect_dataset", "counts", dataset=d),
              "metrics": result("collect_dataset", "metrics", dataset=d), "statistics": result("statistics", 0, dataset=d)}
    if gan_bases(ARMS[d]):
        inputs["js"] = result("collect_gate", 0, dataset=d)
    return inputs


def _first_part(dataset):
    return fold_parts(dataset)[0]


def figure_inputs(wildcards):
    """The tables drawn by the figures job: counts, metrics, per-class F1, confusion, comparisons."""
    d = wildcards.dataset
    inputs = {name: result("collect_dataset", output, dataset=d) for name, output in
              [("class_counts", "counts"), ("metrics", "metrics"), ("per_class", "per_class"), ("confusion", "confusion")]}
    inputs["statistics"] = result("statistics", 0, dataset=d)
    inputs["per_class_statistics"] = result("statistics", "per_class", dataset=d)
    return inputs


def faces_figure_inputs(wildcards):
    """Of the first fold: each GAN base's topped-up set (its generated faces, with the gate's table
    that says which classes it accepted) and each resampled set (its SMOTE images); the real faces
    where the report may show them."""
    d = wildcards.dataset
    # the classes' order from the folds, not from the evaluation: no classifier setting redraws it
    inputs = {"folds": result("collect_folds", 0, dataset=d)}
    if gan_bases(ARMS[d]):
        inputs["js"] = result("collect_gate", 0, dataset=d)
    inputs.update({f"sample_{i}": path for i, path in enumerate(_sample_files(d))})
    if config["datasets"][d]["report"]["show_real_faces"]:
        inputs["faces"] = result("faces", "faces", dataset=d)
    return inputs


def has_faces_figure(dataset):
    """A faces figure has something to show: generated faces, or real and SMOTE faces it may show."""
    return bool(gan_bases(ARMS[dataset])) or config["datasets"][dataset]["report"]["show_real_faces"]


def _sample_files(dataset):
    """Every fold's topped-up and resampled sets: the faces figure draws the fold where the gate
    accepted the most (infantfer.figures.gate.most_accepted_part), read in its script."""
    files = []
    for part in fold_parts(dataset):
        files += [topped_up_path(dataset, base, part) for base in gan_bases(ARMS[dataset])]
        files += [resampled_path(dataset, base, part) for base in resampled_bases(ARMS[dataset])]
    return files


def figure_sample_names(wildcards):
    """What each sample file of figure_inputs is, in the same order: its part, its row name in the
    faces figure, and for a GAN base the arms whose gate rows say which classes it may top up."""
    d = wildcards.dataset
    names = []
    for part in fold_parts(d):
        for base in gan_bases(ARMS[d]):
            arms = [a.name for a in ARMS[d].values() if a.gan and a.base == base]
            names.append({"part": part, "name": f"{' / '.join(arms)} ({part})", "gan_arms": arms})
        for base, arm in resampled_bases(ARMS[d]).items():
            names.append({"part": part, "name": f"{base}: {arm.resampler} ({part})", "gan_arms": []})
    return names


def benchmark_of(rule, **wildcards):
    return strip_wildcard_constraints(str(getattr(rules, rule).rule.benchmark)).format(**wildcards)


def cost_benchmarks(wildcards):
    """rule -> the benchmark files of the dataset's jobs of that rule (the per-fold ones; part all's
    depend on the balanced arm and are left out)."""
    d = wildcards.dataset
    runs = gan_runs(wildcards)
    files = {
        "ingest": [benchmark_of("ingest", dataset=d)],
        "faces": [benchmark_of("faces", dataset=d)],
        "resample": [benchmark_of("resample", dataset=d, base=b, part=p) for b in resampled_bases(ARMS[d])
                     for p in fold_parts(d)],
        "cgan_train": [benchmark_of("cgan_train", dataset=d, part=p, base=b) for p, b in runs],
        "gate": [benchmark_of("gate", dataset=d, part=p, base=b) for p, b in runs],
        "quality": [benchmark_of("quality", dataset=d, part=p, base=b) for p, b in runs],
        "evaluate_fold": per_fold(strip_wildcard_constraints(str(rules.evaluate_fold.rule.benchmark)))(wildcards),
    }
    return {rule: paths for rule, paths in files.items() if paths}


def known_step_s(wildcards, input):
    """This machine's measured GAN step time of the dataset's GAN shape, or None (not measured here)."""
    return GanStepTimes().known(config["datasets"][wildcards.dataset]["cgan"])


def get_final_output():
    outputs = [result("summary", 0), *(result("answer", name) for name in ("markdown", "html", "thesis", "across"))]
    for d in DATASETS:
        outputs += [
            result("collect_dataset", "metrics", dataset=d),
            result("collect_dataset", "counts", dataset=d),
            result("statistics", 0, dataset=d),
            result("balanced_set", "balanced", dataset=d),
            result("provenance", 0, dataset=d),
            result("tables", "table4", dataset=d),
            result("figures", "forest", dataset=d),
            result("cost", 0, dataset=d),
        ]
        # no placeholders: a figure is planned only where the dataset's arms give it something to draw
        if has_faces_figure(d):
            outputs.append(result("faces_figure", 0, dataset=d))
        if d in GAN_DATASETS:
            outputs += [result(rule, 0, dataset=d) for rule in ("collect_gate", "collect_privacy", "gate_figure",
                                                                 "quality_figure")]
            outputs.append(result("collect_quality", "by_class", dataset=d))
    # the critical-difference diagram means something only with 3 or more datasets (Demšar 2006)
    if len(DATASETS) >= 3 and len(common_arms()) >= 2 and all(
        METHOD_CLASSIFIER in config["datasets"][d]["evaluate"]["classifiers"] for d in DATASETS
    ):
        outputs += [result("cd_diagram", 0, classifier=METHOD_CLASSIFIER, metric=m) for m in METRICS]
    return outputs
