"""Config validation: defaults from the schema, per-dataset overrides, clear errors."""
import copy
import re

import pytest
import yaml

from infantfer.config import (
    STAGES, ConfigError, add_demo_if_no_datasets, dataset_settings, load_config, load_schema, resolve_config,
)
from conftest import REPO


def default_config():
    """config/config.yaml with the demo it falls back to, unresolved."""
    with open(REPO / "config" / "config.yaml") as fh:
        return add_demo_if_no_datasets(yaml.safe_load(fh))


def _default(spec: dict):
    """A key's default; an object's default filled with its keys' own (statistics.rope: {} -> each metric's)."""
    default = copy.deepcopy(spec["default"])
    if isinstance(default, dict) and "properties" in spec:
        default = {**{k: _default(v) for k, v in spec["properties"].items() if "default" in v}, **default}
    return default


def schema_defaults(section: str) -> dict:
    return {k: _default(v) for k, v in load_schema()["$defs"][section]["properties"].items()}


def test_default_config_resolves_with_demo_overrides():
    config = resolve_config(default_config())
    demo = dataset_settings(config, "demo")
    assert demo["faces"]["detector"] == "none"  # the dataset's override
    assert demo["faces"]["size"] == 16 and config["faces"]["size"] == 48  # the dataset's, not the top level's
    assert demo["faces"]["margin"] == config["faces"]["margin"]  # the top-level value
    # n = 5, the fewest folds the statistics test, in minutes, not n = 15
    assert {k: demo["split"][k] for k in ("folds", "repeats", "seed")} == {"folds": 5, "repeats": 1, "seed": 0}
    # the schema's GAN recipe at the demo's batch: the recipe whose 16 px images pass the gate
    assert {k: demo["cgan"][k] for k in ("g_width", "d_width", "steps", "ema_decay", "batch_size", "lr_d")} == {
        "g_width": 64, "d_width": 64, "steps": 3000, "ema_decay": 0.999, "batch_size": 32, "lr_d": 0.0004}
    assert {k: config["split"][k] for k in ("folds", "repeats", "seed")} == {"folds": 5, "repeats": 3, "seed": 0}  # user default
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


def test_load_config_user_datasets_replace_the_demo(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text(yaml.safe_dump({"datasets": {"mine": {"layout": "demo", "seed": 3}}, "split": {"folds": 4}}))
    config = load_config(REPO / "config" / "config.yaml", mine)
    assert list(config["datasets"]) == ["mine"]
    assert config["split"]["folds"] == 4
    assert config["faces"]["size"] == 48
    assert list(load_config(REPO / "config" / "config.yaml")["datasets"]) == ["demo"]  # no datasets: the demo


def test_config_yaml_holds_the_schema_defaults_and_no_datasets_or_arms():
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    assert "datasets" not in config and "arms" not in config  # yours replace them, never merge with them
    for section, values in config.items():
        assert values == schema_defaults(section), section


def test_explicitly_empty_datasets_is_an_error_not_the_demo():
    with pytest.raises(ConfigError) as err:
        add_demo_if_no_datasets({"datasets": {}})
    assert err.value.key == "datasets" and "leave the key out to run the demo" in str(err.value)


def test_default_arms_are_the_methods_four():
    arms = resolve_config({"datasets": {"d": {"layout": "demo"}}})["datasets"]["d"]["arms"]
    assert list(arms) == ["original", "smoteenn", "cgan", "smoteenn_cgan"]
    assert [(a["resampler"], a["gan"], a["base"]) for a in arms.values()] == [
        ("none", False, "original"), ("smoteenn", False, "smoteenn"), ("none", True, "original"),
        ("smoteenn", True, "smoteenn")]
    assert arms["smoteenn"]["params"] == schema_defaults("smoteenn")


def test_user_arms_replace_the_default_and_a_datasets_arms_replace_the_top_level(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text(yaml.safe_dump({
        "arms": {"original": {}, "weighted": {"class_weight": "balanced"}},
        "datasets": {"a": {"layout": "demo"},
                     "b": {"layout": "demo", "arms": {"smote": {"resampler": "smote", "params": {"k_neighbors": 3}}},
                           "balanced": {"arm": "smote"}}},
        "balanced": {"arm": "original"},
    }))
    config = load_config(REPO / "config" / "config.yaml", mine)
    assert list(config["datasets"]["a"]["arms"]) == ["original", "weighted"]
    assert config["datasets"]["a"]["arms"]["weighted"]["class_weight"] == "balanced"
    smote = config["datasets"]["b"]["arms"]["smote"]
    assert list(config["datasets"]["b"]["arms"]) == ["smote"]
    assert smote["params"] == {"k_neighbors": 3, "space": "pixels", "pca_components": 50, "seed": 0}
    assert smote["base"] == "smote_k_neighbors-3"


def test_smoteenn_arm_params_override_the_section_and_name_their_base():
    config = resolve_config({"datasets": {"d": {"layout": "demo", "smoteenn": {"k_neighbors": 4}}},
                             "arms": {"plain": {"resampler": "smoteenn"},
                                      "mode": {"resampler": "smoteenn", "params": {"kind_sel": "mode"}},
                                      "mode_gan": {"resampler": "smoteenn", "params": {"kind_sel": "mode"}, "gan": True}}})
    arms = config["datasets"]["d"]["arms"]
    assert arms["plain"]["params"]["k_neighbors"] == 4 and arms["plain"]["base"] == "smoteenn"
    assert arms["mode"]["params"]["kind_sel"] == "mode" and arms["mode"]["params"]["k_neighbors"] == 4
    assert arms["mode"]["base"] == arms["mode_gan"]["base"] == "smoteenn_kind_sel-mode"  # one GAN for both


@pytest.mark.parametrize("arms, key", [
    ({"x": {"resampler": "smote", "params": {"kind_sel": "mode"}}}, "arms.x.params"),
    ({"x": {"resampler": "tomek"}}, "arms.x.resampler"),
    ({"x": {"params": {"k_neighbors": 3}}}, "arms.x.params"),
    ({"x": {"gan": "yes"}}, "arms.x.gan"),
    ({"x": {"resampler": "smoteenn", "params": {"space": "umap"}}}, "arms.x.params.space"),
])
def test_bad_arms_name_the_key(arms, key):
    with pytest.raises(ConfigError) as err:
        resolve_config({"datasets": {"d": {"layout": "demo"}}, "arms": arms, "balanced": {"arm": "best"}})
    assert err.value.key == key


def test_balanced_arm_must_be_an_arm_or_best():
    with pytest.raises(ConfigError, match="'cgan' is not one of the arms"):
        resolve_config({"datasets": {"d": {"layout": "demo"}}, "arms": {"original": {}}, "balanced": {"arm": "cgan"}})
    # the default (the cgan arm, which keeps every real photo) falls back to best when the arms lack it
    config = resolve_config({"datasets": {"d": {"layout": "demo"}}, "arms": {"original": {}}})
    assert config["datasets"]["d"]["balanced"]["arm"] == "best"
    with pytest.raises(ConfigError, match="'smoteenn_cgan' is not one of the arms"):  # named: an error, not best
        resolve_config({"datasets": {"d": {"layout": "demo"}}, "arms": {"original": {}},
                        "balanced": {"arm": "smoteenn_cgan"}})
    assert resolve_config({"datasets": {"d": {"layout": "demo"}}})["datasets"]["d"]["balanced"]["arm"] == "cgan"
    named = resolve_config({"datasets": {"d": {"layout": "demo"}}, "balanced": {"arm": "smoteenn_cgan"}})
    assert named["datasets"]["d"]["balanced"]["arm"] == "smoteenn_cgan"  # the method's recipe, when asked for
    with pytest.raises(ConfigError, match="f1_adaboost"):
        resolve_config({"datasets": {"d": {"layout": "demo"}}, "arms": {"original": {}},
                        "evaluate": {"classifiers": ["samme"]}})


def test_resolve_does_not_share_state_between_datasets():
    config = copy.deepcopy(default_config())
    config["datasets"]["other"] = {"layout": "demo", "faces": {"margin": 0.5}}
    resolve_config(config)
    assert config["datasets"]["other"]["faces"]["margin"] == 0.5
    assert config["datasets"]["demo"]["faces"]["margin"] == 0.25
    assert config["faces"]["margin"] == 0.25


@pytest.mark.parametrize("faces_size, cgan_size", [(20, 0), (48, 12), (48, 36)])
def test_a_gan_size_the_generator_cannot_draw_stops_before_any_job(faces_size, cgan_size):
    with pytest.raises(ConfigError) as err:
        resolve_config({"datasets": {"d": {"layout": "demo"}}, "faces": {"size": faces_size}, "cgan": {"size": cgan_size}})
    assert err.value.key.startswith("datasets.d.cgan.size") and "multiple of 8" in str(err.value)


def test_arm_and_dataset_names_must_be_text():
    with pytest.raises(ConfigError, match="is not text"):
        resolve_config({"datasets": {"d": {"layout": "demo"}}, "arms": {1: {}}, "balanced": {"arm": "best"}})


def _keyword_defaults(fn) -> dict:
    import inspect

    return {k: p.default for k, p in inspect.signature(fn).parameters.items() if p.default is not inspect.Parameter.empty}


def _written_defaults(obj, keys) -> list[str]:
    """The parameters (a function's) or fields (a dataclass's) among ``keys`` whose default is
    written in the source as a literal instead of read from the schema."""
    import ast
    import inspect
    import textwrap

    tree = ast.parse(textwrap.dedent(inspect.getsource(obj)))
    node = tree.body[0]
    found = []
    if isinstance(node, ast.ClassDef):
        for item in node.body:
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) and item.target.id in keys \
                    and isinstance(item.value, (ast.Constant, ast.Tuple, ast.List)):
                found.append(item.target.id)
        return found
    args = node.args
    pairs = list(zip(args.args[len(args.args) - len(args.defaults):], args.defaults))
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
    return [a.arg for a, d in pairs if a.arg in keys and isinstance(d, (ast.Constant, ast.Tuple, ast.List))
            and not (isinstance(d, ast.Constant) and d.value is None)]


def test_the_package_s_own_defaults_are_the_schema_s():
    """The schema is the one home of every default. Where the package needs one (a function's
    keyword default, an estimator's constructor, the gate's settings, so that each works without
    the workflow), it reads the schema's: equal values, and none written out in the code."""
    from infantfer import statistics
    from infantfer.boosting import F1AdaBoostClassifier
    from infantfer.cgan import CGANConfig
    from infantfer.faces import BlazeFaceDetector, HaarDetector, crop_face, extract_faces, make_detector, whole_image
    from infantfer.gate import GateSettings
    from infantfer.resample import GuardedOverSampler, GuardedSMOTEENN
    from infantfer.statistics import compare_arms, paired

    defs = load_schema()["$defs"]

    def schema(section, *keys):
        props = defs[section]["properties"]
        return {k: props[k]["default"] for k in keys}

    def own(fn, *keys):
        found = _keyword_defaults(fn)
        return {k: found[k] for k in keys}

    faces = ("size", "margin", "align", "equalize", "on_no_face", "min_score", "detector")
    assert own(extract_faces, *faces) == schema("faces", *faces)
    assert own(crop_face, "size", "margin") == schema("faces", "size", "margin")
    assert own(whole_image, "size", "equalize") == schema("faces", "size", "equalize")
    assert own(make_detector, "min_score") == schema("faces", "min_score")
    smoteenn = ("k_neighbors", "enn_neighbors", "kind_sel", "enn_sampling_strategy")
    assert own(GuardedSMOTEENN.__init__, *smoteenn) == schema("smoteenn", *smoteenn)
    borderline = defs["resamplers"]["properties"]["borderline_smote"]["properties"]
    assert own(GuardedOverSampler.__init__, "k_neighbors", "m_neighbors") == \
        {k: borderline[k]["default"] for k in ("k_neighbors", "m_neighbors")}
    boosting = ("n_estimators", "max_depth", "learning_rate")
    assert own(F1AdaBoostClassifier.__init__, *boosting) == schema("evaluate", *boosting)
    gate = GateSettings()
    for key, spec in defs["gate"]["properties"].items():
        expected = tuple(spec["default"]) if isinstance(spec["default"], list) else spec["default"]
        assert getattr(gate, key) == expected, key
    assert gate.max_copy_share == defs["privacy"]["properties"]["max_copy_share"]["default"]
    assert (statistics.ALPHA, statistics.REFERENCE_ARM) == tuple(schema("statistics", "alpha", "reference").values())
    assert statistics.ROPE == schema_defaults("statistics")["rope"]
    keys = {k for section in ("faces", "gate", "privacy", "cgan", "evaluate", "smoteenn", "statistics")
            for k in defs[section]["properties"]} | set(borderline)
    written = {obj.__qualname__: _written_defaults(obj, keys) for obj in (
        extract_faces, crop_face, whole_image, make_detector, BlazeFaceDetector.__init__, HaarDetector.__init__,
        GuardedSMOTEENN.__init__, GuardedOverSampler.__init__, F1AdaBoostClassifier.__init__, GateSettings,
        CGANConfig, compare_arms, paired.corrected_ttest, paired.equivalence_test, paired.holm_levels)}
    assert not {k: v for k, v in written.items() if v}, written


@pytest.mark.parametrize("where, value", [("statistics.alpha", float("nan")), ("gate.js_margin", float("inf")),
                                          ("datasets.demo.cgan.lr_g", float("-inf"))])
def test_a_number_that_is_not_finite_is_refused_naming_its_key(where, value):
    config = default_config()
    *path, last = where.split(".")
    section = config
    for key in path:
        section = section.setdefault(key, {})
    section[last] = value
    with pytest.raises(ConfigError) as err:
        resolve_config(config)
    assert f"config key '{where}': is {value}, not a finite number" in str(err.value)
    assert ".nan" in str(err.value)  # the fix says how YAML spells it


ALIAS_BOMB = """
a: &a [cry, cry, cry, cry, cry, cry, cry, cry, cry]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def test_a_yaml_alias_bomb_stops_before_anything_expands_it():
    config = default_config()
    config["datasets"]["demo"]["filters"] = {"label": yaml.safe_load(ALIAS_BOMB)["i"]}  # 9 levels: 387M values
    with pytest.raises(ConfigError) as err:
        resolve_config(config)
    assert "config key 'datasets.demo.filters.label': expands to more than 100,000 values" in str(err.value)


@pytest.mark.parametrize("value", [[["cry"]], [{"min": 1}], {"min": 0, "step": 2}, {}])
def test_a_filter_is_a_value_a_flat_list_or_a_range(value):
    config = default_config()
    config["datasets"]["demo"]["filters"] = {"label": value}
    with pytest.raises(ConfigError) as err:
        resolve_config(config)
    assert "config key 'datasets.demo.filters.label'" in str(err.value)
    assert "a flat list of values (`label: [cry, laugh]`)" in str(err.value)


# a value is text ("2", quoted: YAML's 2 is a number and stops the run, test_hostile_input_four.py); a range numbers
@pytest.mark.parametrize("value", ["cry", "2", ["cry", "laugh"], {"max": 2}, {"min": 0, "max": 2}])
def test_the_filters_a_user_writes_pass(value):
    config = default_config()
    config["datasets"]["demo"]["filters"] = {"label": value}
    resolve_config(config)


def test_a_plan_larger_than_max_fold_runs_stops_saying_what_it_would_cost():
    config = default_config()
    config["datasets"]["demo"]["split"] = {"repeats": 100000, "folds": 5}
    with pytest.raises(ConfigError) as err:
        resolve_config(config)
    text = str(err.value)
    assert "config key 'datasets.demo.split': repeats 100000 x folds 5 = 500,000 fold runs" in text
    # the demo's four arms: one evaluation, one SMOTEENN set and two GAN bases of 4 jobs a fold run
    assert "about 5,000,000 jobs, 1,000,000 of them GAN trainings" in text
    assert "raise split.max_fold_runs" in text
    config = default_config()
    config["datasets"]["demo"]["split"] = {"repeats": 100000, "folds": 5, "max_fold_runs": 500000}
    resolve_config(config)  # raised on purpose: planned


def test_a_nested_config_value_given_as_text_says_how_it_arrived():
    config = default_config()
    config["split"]["folds"] = "2"  # what `snakemake --config 'split={folds: 2}'` hands over
    with pytest.raises(ConfigError) as err:
        resolve_config(config)
    assert "arrived as the text '2'" in str(err.value)
    assert "--configfile" in str(err.value)


def test_an_arm_named_like_the_method_s_arms_but_made_otherwise_is_warned_about(caplog):
    config = default_config()
    config["arms"] = {"original": {}, "cgan": {}, "smoteenn": {"resampler": "smoteenn", "params": {"k_neighbors": 3}}}
    with caplog.at_level("WARNING", logger="infantfer.config"):
        resolve_config(config)
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 1, warned  # smoteenn with other params is still SMOTEENN; original is the original
    assert warned[0].startswith("config key 'arms.cgan': the arm is named like the method's arm 'cgan' "
                                "(no resampler, with GAN) but is no resampler, no GAN")
    assert "Fix: rename it, or give it resampler: none, gan: true" in warned[0]


def readme_defaults() -> dict[str, dict[str, str]]:
    """The `default` column of config/README.md's table under each `## \\`<stage>\\`` heading."""
    tables: dict[str, dict[str, str]] = {}
    stage = None
    for line in (REPO / "config" / "README.md").read_text().splitlines():
        heading = re.match(r"## `(\w+)`", line)
        if heading:
            stage = heading.group(1)
            continue
        row = re.match(r"\| `(\w+)` \| (.+?) \| .* \|$", line)
        if stage in STAGES and row:
            tables.setdefault(stage, {})[row.group(1)] = row.group(2)
    return tables


def test_config_readme_tables_give_the_schema_s_defaults():
    """config/README.md's tables are checked against the schema, the one home of the defaults:
    every key of every stage section, with the same default."""
    import yaml

    tables = readme_defaults()
    wrong = []
    for stage in STAGES:
        for key, spec in load_schema()["$defs"][stage]["properties"].items():
            cell = tables.get(stage, {}).get(key)
            if cell is None:
                wrong.append(f"{stage}.{key}: no row")
                continue
            written = yaml.safe_load(re.sub(r"`([^`]*)`.*", r"\1", cell)) if cell.startswith("`") else cell
            if written != _default(spec) and not (isinstance(written, list) and written == list(_default(spec))):
                wrong.append(f"{stage}.{key}: README says {cell}, the schema {_default(spec)!r}")
    assert not wrong, "\n".join(wrong)


def test_the_schema_names_what_the_registries_hold():
    """A layout, a resampler or a metric is one registry entry plus its keys in the schema: the
    schema's names and the registries' stay equal, and each resampler's settings are in the schema."""
    from infantfer.arms import RESAMPLERS
    from infantfer.ingest import LAYOUTS
    from infantfer.metrics import REGISTRY
    from infantfer.schema import defaults

    defs = load_schema()["$defs"]
    assert defs["dataset"]["properties"]["layout"]["enum"] == list(LAYOUTS)
    assert sorted(defs["arm"]["properties"]["resampler"]["enum"]) == sorted(["none", *RESAMPLERS])
    assert list(defs["statistics"]["properties"]["rope"]["properties"]) == list(REGISTRY)
    for kind in RESAMPLERS.values():
        assert "seed" in defaults(kind.settings), kind.name  # every resampler is seeded per fold
