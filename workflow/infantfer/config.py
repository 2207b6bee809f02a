"""Configuration: validate once, at the edge, then hand each stage a plain dict.

The JSON schema (``workflow/schemas/config.schema.yaml``) documents every key and holds its
default. This module adds what a schema cannot say: which keys each layout needs, whether the
files exist, and each dataset's stage settings (top-level defaults merged with the dataset's own
overrides).
"""

from __future__ import annotations

import copy
import json
import logging
import math
import re
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .errors import ConfigError
from .ingest.layouts import check_layout
from .method import COMPARED_ARM, METHOD_CLASSIFIER
from .schema import SCHEMA_PATH, load_schema  # noqa: F401 (SCHEMA_PATH: re-exported)

# the demo dataset, run when no configuration names a dataset
DEMO_CONFIG = Path(__file__).resolve().parents[2] / "config" / "demo.yaml"
STAGES = ("ingest", "faces", "split", "smoteenn", "cgan", "gate", "privacy", "evaluate", "balanced", "statistics", "report")




def _with_defaults(validator_class):
    """A validator that fills in schema defaults (the pattern from jsonschema's FAQ)."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub:
                    instance.setdefault(name, copy.deepcopy(sub["default"]))
        yield from validate_properties(validator, properties, instance, schema)

    # a number is finite: YAML's .nan passes every bound and .inf every minimum
    finite = validator_class.TYPE_CHECKER.redefine("number", lambda checker, instance: (
        validator_class.TYPE_CHECKER.is_type(instance, "number") and math.isfinite(instance)))
    return jsonschema.validators.extend(validator_class, {"properties": set_defaults}, type_checker=finite)


_Validator = _with_defaults(jsonschema.Draft202012Validator)


def _validate(instance: Any, schema: dict, root: dict, where: str) -> None:
    schema = {**schema, "$defs": root["$defs"]}
    errors = sorted(_Validator(schema).iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        key = ".".join([where, *map(str, err.absolute_path)]).strip(".") or "(top level)"
        raise ConfigError(key, err.message, _fix(err))


def _fix(err: jsonschema.ValidationError) -> str:
    """What to do about a schema error, with the key's description."""
    value = err.validator_value
    # a bound alone invites its edge (faces.size: 8 then stops at the GAN's size): name the default too
    has_default = isinstance(err.schema, dict) and "default" in err.schema
    default = f", e.g. the default {err.schema['default']}" if has_default else ""
    fix = {
        "type": f"give a value of type {value}" + (" (a finite one)" if value == "number" else ""),
        "enum": f"use one of {value}",
        "minimum": f"use a value >= {value}{default}",
        "maximum": f"use a value <= {value}{default}",
        "exclusiveMinimum": f"use a value > {value}{default}",
        "pattern": f"use a name that matches {value} (letters, digits, _ and -)",
        "required": "add the missing key",
        "minProperties": "name at least one",
        "anyOf": "give a value (`Usage: Training`), a flat list of values (`label: [cry, laugh]`) or a range "
        "(`age: {min: 0, max: 2}`)",  # filters, the one anyOf of the schema
        "additionalProperties": "remove or correct the misspelt key "
        f"(known keys: {', '.join(sorted(err.schema.get('properties', {})))})",
    }.get(err.validator, "see config/README.md for this key")
    if err.validator == "type" and isinstance(err.instance, str) and _parses_as(err.instance, value):
        # snakemake --config split={folds: 2} hands nested values over as text
        fix = (f"{fix}: this value arrived as the text {err.instance!r}. Snakemake's --config parses top-level "
               "values only (`--config 'split={folds: 2}'` makes '2' text); put nested keys in a YAML file "
               "given with --configfile")
    described = err.schema.get("description", "") if isinstance(err.schema, dict) else ""
    return f"{fix}. ({described})" if described and err.validator != "additionalProperties" else fix + "."


def _parses_as(text: str, types) -> bool:
    """Whether ``text`` would be of one of the JSON schema ``types`` had YAML read it."""
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    python = {"integer": int, "number": (int, float), "boolean": bool, "array": list, "object": dict}
    wanted = [types] if isinstance(types, str) else list(types)
    return any(isinstance(parsed, python[t]) and not (t in ("integer", "number") and isinstance(parsed, bool))
               for t in wanted if t in python)


def add_demo_if_no_datasets(config: dict, demo_config: str | Path = DEMO_CONFIG) -> dict:
    """The demo is the fallback: when no configuration names a ``datasets`` key, the datasets of
    ``config/demo.yaml`` run. An explicitly empty ``datasets:`` is an error, not the demo."""
    if "datasets" not in config:
        with open(demo_config) as fh:
            config["datasets"] = copy.deepcopy((yaml.safe_load(fh) or {})["datasets"])
    elif not config["datasets"]:
        raise ConfigError("datasets", "is empty", "name at least one dataset (config/README.md shows how), "
                          "or leave the key out to run the demo")
    return config


def resolve_config(config: dict, config_files: list[str | Path] | None = None) -> dict:
    """Validate ``config`` in place (filling defaults) and return it.

    Each ``config["datasets"][name]`` gains ``name``, its stage sections merged with the
    top-level ones, and its arms resolved (see :func:`resolve_arms`), so that stages never look
    anything up twice. ``config_files``: the YAML files it was read from, where an error quotes a
    value as written (``01``, ``yes``) rather than as YAML read it.
    """
    check_plain_values(config)
    for name, ds in (config.get("datasets") or {}).items():
        if isinstance(name, str) and isinstance(ds, dict):  # before the schema, whose message would be "not of type"
            check_text_values(name, ds, config_files or [])
    schema = load_schema()
    _validate(config, schema, schema, "")
    for name, ds in config["datasets"].items():
        if not isinstance(name, str):
            raise ConfigError("datasets", f"dataset name {name!r} is not text", "quote it, e.g. '2024': {...}")
        for stage in STAGES:
            merged = {**copy.deepcopy(config[stage]), **copy.deepcopy(ds.get(stage, {}))}
            _validate(merged, schema["$defs"][stage], schema, f"datasets.{name}.{stage}")
            ds[stage] = merged
        ds["cgan"]["size"] = gan_size(ds["cgan"]["size"], ds["faces"]["size"], f"datasets.{name}.cgan")
        ds["arms"] = resolve_arms(ds.get("arms") or config["arms"], ds, schema, f"datasets.{name}")
        ds["name"] = name
        check_layout(name, ds)
        _check_plan_size(name, ds)
    return config


def _yaml_kind(value: Any) -> str:
    return {bool: "the boolean", int: "the number", float: "the number"}.get(type(value), "the value")


def written_as(config_files: list[str | Path], path: list) -> Any:
    """The value at ``path`` (keys and list positions) as the last of ``config_files`` that holds
    it wrote it: every scalar as its text (YAML's base loader), or None."""
    for file in reversed([str(f) for f in config_files]):
        try:
            with open(file) as fh:
                node = yaml.load(fh, Loader=yaml.BaseLoader)
            for key in path:
                node = node[int(key)] if isinstance(node, list) else node[str(key)]
            return node
        except (OSError, yaml.YAMLError, KeyError, IndexError, TypeError):
            continue
    return None


def check_text_values(name: str, ds: dict, config_files: list[str | Path]) -> None:
    """Labels and filter values are text: YAML reads ``01`` as the number 1, ``yes`` and ``no`` as
    booleans and ``1.0`` as a number, and two labels (``1``, ``01``) become one, or a filter finds
    nothing. Such a value stops the run, quoted as written, with the quoted form to use. (Filter
    ranges, ``{min: 0, max: 2}``, are numbers.)"""
    places = []
    filters = ds.get("filters") if isinstance(ds.get("filters"), dict) else {}
    label_names = ds.get("label_names") if isinstance(ds.get("label_names"), dict) else {}
    for column, rule in filters.items():
        if isinstance(rule, list):
            places += [(["filters", column, i], v, ["filters", column]) for i, v in enumerate(rule)]
        elif not isinstance(rule, dict):
            places.append((["filters", column], rule, ["filters", column]))
    for code, label in label_names.items():
        places.append((["label_names", code], label, ["label_names", code]))
    found = []
    for path, value, shown_path in places:
        if isinstance(value, (bool, int, float)):  # other types: the schema's message
            written = written_as(config_files, ["datasets", name, *path])
            found.append((path, value, shown_path, value if written is None else written))
    found.sort(key=lambda f: str(f[3]) == str(f[1]))  # a value YAML changed (01 -> 1) is named first
    for path, value, shown_path, written in found[:1]:
        whole = written_as(config_files, ["datasets", name, *shown_path])
        quoted = json.dumps(whole if whole is not None else str(written), ensure_ascii=False)
        raise ConfigError(
            f"datasets.{name}.{'.'.join(map(str, path))}", f"{written} is read by YAML as {_yaml_kind(value)} "
            f"{value!r}, not the text '{written}' (labels and filter values are text)",
            f"quote it: {shown_path[-1]}: {quoted}")


MAX_VALUES = 100_000  # values in a whole configuration, YAML aliases counted as often as they are used


def check_plain_values(config: Any) -> None:
    """Every number finite, and the configuration no larger once its YAML aliases are expanded
    than :data:`MAX_VALUES`: a few lines of nested aliases (``&a [*b, *b, ...]``) expand to
    billions of values in whatever reads them (the schema's messages, Snakemake's params,
    provenance.json), so they stop here, before anything expands them."""
    sizes: dict[int, int] = {}

    def size(value: Any, key: str) -> int:
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(key or "(top level)", f"is {value}, not a finite number",
                              "give a finite number (YAML reads .nan, .inf and -.inf as such)")
        if not isinstance(value, (dict, list)):
            return 1
        if id(value) not in sizes:
            sizes[id(value)] = 0  # a value that contains itself counts once
            items = value.items() if isinstance(value, dict) else enumerate(value)
            sizes[id(value)] = 1 + sum(size(v, f"{key}.{k}".strip(".")) for k, v in items)
            if sizes[id(value)] > MAX_VALUES:
                named = re.sub(r"(\.\d+)+$", "", key)  # the key a user wrote, not the list positions inside it
                raise ConfigError(named or "(top level)", f"expands to more than {MAX_VALUES:,} values "
                                  "(YAML aliases repeat what they name)",
                                  "write the values out, without aliases nested in aliases")
        return sizes[id(value)]

    size(config, "")


def _check_plan_size(name: str, ds: dict) -> None:
    from .arms import arms_of, gan_bases, resampled_bases

    split = ds["split"]
    runs = split["repeats"] * split["folds"]
    if runs <= split["max_fold_runs"]:
        return
    arms = arms_of(ds)
    gans = len(gan_bases(arms))
    jobs = runs * (1 + len(resampled_bases(arms)) + 4 * gans)
    raise ConfigError(
        f"datasets.{name}.split", f"repeats {split['repeats']} x folds {split['folds']} = {runs:,} fold runs, more "
        f"than split.max_fold_runs ({split['max_fold_runs']}): about {jobs:,} jobs, {runs * gans:,} of them GAN "
        f"trainings of {ds['cgan']['steps']:,} steps",
        "lower split.repeats or split.folds (the statistics need repeats x folds >= 5; 3 x 5 or 10 x 10 are usual), "
        "or raise split.max_fold_runs if you mean a plan this large")


def gan_size(cgan_size: int, face_size: int, where: str = "cgan") -> int:
    """The side the GAN works at: ``cgan.size``, where 0 means the faces' size; a multiple of 8,
    at least 16 (the generator doubles its side from a start of 4 or more)."""
    size = int(cgan_size) or int(face_size)
    if size < 16 or size % 8:
        key = f"{where}.size" if int(cgan_size) else f"{where}.size (0: faces.size {face_size})"
        raise ConfigError(key, f"the GAN would work at {size} px, not a multiple of 8 of at least 16",
                          "set cgan.size to 16, 24, 32, 48 or 64 (generated faces are resized to faces.size)")
    return size


def resolve_arms(arms: dict, ds: dict, schema: dict, where: str) -> dict:
    """Each arm with its defaults, the resampler's full settings (smoteenn: the dataset's
    ``smoteenn`` section under the arm's ``params``) and its base (see infantfer.arms)."""
    from .arms import RESAMPLERS, base_name

    resolved = {}
    for name, spec in copy.deepcopy(arms).items():
        if not isinstance(name, str):  # YAML reads `1:` as a number, which the name pattern never sees
            raise ConfigError(f"{where}.arms" if "arms" in ds else "arms", f"arm name {name!r} is not text",
                              f"quote it, e.g. '{name}': {{}}")
        key = f"{where}.arms.{name}" if "arms" in ds else f"arms.{name}"
        _validate(spec, schema["$defs"]["arm"], schema, key)
        resampler, params = spec["resampler"], spec["params"]
        if resampler == "none":
            if params:
                raise ConfigError(f"{key}.params", "given for an arm without a resampler",
                                  "remove params, or set resampler (e.g. smoteenn)")
            defaults = {}
        elif RESAMPLERS[resampler].settings in STAGES:  # smoteenn: the dataset's own section is the default
            section = RESAMPLERS[resampler].settings
            defaults = ds[section]
            params = {**defaults, **params}
            _validate(params, schema["$defs"][section], schema, f"{key}.params")
        else:
            first, *rest = RESAMPLERS[resampler].settings.split(".")
            sub = schema["$defs"][first]
            for part in rest:
                sub = sub["properties"][part]
            defaults = {k: v["default"] for k, v in sub["properties"].items()}
            _validate(params, sub, schema, f"{key}.params")
        spec["params"] = params
        spec["base"] = base_name(resampler, params, defaults)
        resolved[name] = spec
        _warn_if_misnamed(name, spec, key, schema)
    wanted = ds["balanced"]["arm"]
    if wanted is None:  # unset: the cgan arm when configured, else smoteenn, else the best arm
        # the cgan arm keeps every real photo; the method's arm would drop those ENN removes
        ds["balanced"]["arm"] = wanted = next((a for a in (COMPARED_ARM, "smoteenn") if a in resolved), "best")
    if wanted != "best" and wanted not in resolved:
        raise ConfigError(f"{where}.balanced.arm", f"'{wanted}' is not one of the arms ({', '.join(resolved)})",
                          "name one of the arms, or best")
    if wanted == "best" and METHOD_CLASSIFIER not in ds["evaluate"]["classifiers"]:
        import json  # JSON lists are YAML; the key in full: a dataset's own classifiers hide the top-level ones

        classifiers = json.dumps([METHOD_CLASSIFIER, *ds["evaluate"]["classifiers"]])
        raise ConfigError(f"{where}.balanced.arm", "best (the default when the arms lack cgan) ranks the "
                          "arms by f1_adaboost, which evaluate.classifiers lacks",
                          f"add f1_adaboost ({where}.evaluate.classifiers: {classifiers}), or name the balanced "
                          f"set's arm ({where}.balanced.arm: one of {', '.join(resolved)})")
    return resolved


def _warn_if_misnamed(name: str, spec: dict, key: str, schema: dict) -> None:
    """An arm named like one of the method's four whose settings make it another (``cgan: {}`` is
    the original arm under another name) would be read as that arm in every table."""
    default = schema["properties"]["arms"]["default"].get(name)
    if default is None:
        return
    default = copy.deepcopy(default)
    _validate(default, schema["$defs"]["arm"], schema, key)  # fills its defaults
    what = ("resampler", "gan")
    if any(spec[k] != default[k] for k in what):
        logging.getLogger(__name__).warning(
            "config key '%s': the arm is named like the method's arm '%s' (%s) but is %s; its rows in every table "
            "say '%s'. Fix: rename it, or give it %s", key, name, _arm_words(default), _arm_words(spec), name,
            ", ".join(f"{k}: {str(default[k]).lower()}" for k in what))


def _arm_words(spec: dict) -> str:
    resampler = "no resampler" if spec["resampler"] == "none" else spec["resampler"]
    return f"{resampler}, {'with' if spec['gan'] else 'no'} GAN"


def dataset_settings(config: dict, name: str) -> dict:
    """The resolved settings of one dataset (call :func:`resolve_config` first)."""
    try:
        return config["datasets"][name]
    except KeyError as exc:
        raise ConfigError(f"datasets.{name}", "no such dataset", "name one of config['datasets']") from exc


def load_config(*paths: str | Path) -> dict:
    """Read and merge YAML files the way Snakemake does (later files win, recursively), fall back
    to the demo when none names datasets, then resolve."""
    merged: dict = {}
    for path in paths:
        with open(path) as fh:
            data = yaml.safe_load(fh) or {}
        _deep_update(merged, data)
    return resolve_config(add_demo_if_no_datasets(merged), config_files=list(paths))


def _deep_update(base: dict, new: dict) -> None:
    for k, v in new.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _deep_update(base[k], v)
        else:
            base[k] = copy.deepcopy(v)
