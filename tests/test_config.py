"""Config validation: defaults from the schema, per-dataset overrides, clear errors."""
import copy

import pytest
import yaml

from infantfer.config import STAGES, ConfigError, dataset_settings, load_config, load_schema, resolve_config
from conftest import REPO


def default_config():
    with open(REPO / "config" / "config.yaml") as fh:
        return yaml.safe_load(fh)


def test_default_config_resolves_with_demo_overrides():
    config = resolve_config(default_config())
    demo = dataset_settings(config, "demo")
    assert demo["faces"]["detector"] == "none"  # the dataset's override
    assert demo["faces"]["size"] == 32 and config["faces"]["size"] == 48  # the dataset's, not the top level's
    assert demo["faces"]["margin"] == config["faces"]["margin"]  # the top-level value
    assert demo["split"] == config["split"]
    assert demo["counts"] == {"cry": 150, "laugh": 60, "neutral": 20}


def test_schema_gives_every_stage_key_a_description_and_default():
    schema = load_schema()
    for stage in STAGES:
        for key, spec in schema["$defs"][stage]["properties"].items():
            assert spec.get("description"), f"{stage}.{key} has no description"
            assert "default" in spec, f"{stage}.{key} has no default"


def test_defaults_fill_missing_sections():
    config = resolve_config({"datasets": {"d": {"layout": "demo"}}})
    assert config["evaluate"]["classifiers"] == ["f1_adaboost", "samme", "chance"]
    assert config["datasets"]["d"]["smoteenn"]["k_neighbors"] == 5
    assert config["datasets"]["d"]["cgan"]["size"] == config["faces"]["size"]  # 0: the faces' size


def test_config_readme_documents_every_key():
    text = (REPO / "config" / "README.md").read_text()
    schema = load_schema()
    keys = set(schema["$defs"]["dataset"]["properties"])
    for stage in STAGES:
        keys |= set(schema["$defs"][stage]["properties"])
    missing = [k for k in keys if f"`{k}`" not in text]
    assert not missing, f"config/README.md does not document {missing}"


@pytest.mark.parametrize(
    "change, key",
    [
        (lambda c: c["faces"].update(size="big"), "faces.size"),
        (lambda c: c["faces"].update(detector="mtcnn"), "faces.detector"),
        (lambda c: c["split"].update(folds=1), "split.folds"),
        (lambda c: c["datasets"]["demo"]["faces"].update(margin=-1), "datasets.demo.faces.margin"),
        (lambda c: c["datasets"].update(bad={"layout": "zip"}), "datasets.bad.layout"),
        (lambda c: c["datasets"].update(x={"layout": "csv", "path": "."}), "datasets.x.manifest"),
        (lambda c: c["datasets"].update(y={"layout": "folders", "path": "/no/such/dir"}), "datasets.y.path"),
    ],
)
def test_bad_config_names_the_key(change, key):
    config = default_config()
    change(config)
    with pytest.raises(ConfigError) as err:
        resolve_config(config)
    assert err.value.key == key
    assert "Fix:" in str(err.value)


def test_unknown_key_is_an_error():
    config = default_config()
    config["faces"]["detecter"] = "haar"
    with pytest.raises(ConfigError, match="detecter"):
        resolve_config(config)


def test_filename_fields_pattern_checked(tmp_path):
    ds = {"layout": "filename_fields", "path": str(tmp_path), "pattern": r"^(\d+)_"}
    with pytest.raises(ConfigError, match="named groups"):
        resolve_config({"datasets": {"u": ds}})
    ds = {"layout": "filename_fields", "path": str(tmp_path), "pattern": r"^(?P<age>\d+)_", "filters": {"agee": {"max": 2}}}
    with pytest.raises(ConfigError, match="agee"):
        resolve_config({"datasets": {"u": ds}})
    ds = {"layout": "filename_fields", "path": str(tmp_path), "pattern": r"^(?P<age>\d+)_", "group_column": "subject"}
    with pytest.raises(ConfigError) as err:
        resolve_config({"datasets": {"u": ds}})
    assert err.value.key == "datasets.u.group_column"


def test_load_config_later_datasets_replace_earlier(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text(yaml.safe_dump({"datasets": {"mine": {"layout": "demo", "seed": 3}}, "split": {"folds": 4}}))
    config = load_config(REPO / "config" / "config.yaml", mine)
    assert list(config["datasets"]) == ["mine"]
    assert config["split"]["folds"] == 4
    assert config["faces"]["size"] == 48


def test_resolve_does_not_share_state_between_datasets():
    config = copy.deepcopy(default_config())
    config["datasets"]["other"] = {"layout": "demo", "faces": {"margin": 0.5}}
    resolve_config(config)
    assert config["datasets"]["other"]["faces"]["margin"] == 0.5
    assert config["datasets"]["demo"]["faces"]["margin"] == 0.25
    assert config["faces"]["margin"] == 0.25
