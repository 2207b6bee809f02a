"""The configuration's JSON schema (``workflow/schemas/config.schema.yaml``): the one home of every
setting's description and default. Code that needs a default reads it here rather than repeating
it (``CGANConfig``, the gate's settings, the estimators' constructors, the statistics' rope), and
a test fails where a default is written into the code instead.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "config.schema.yaml"


@functools.lru_cache(maxsize=1)
def _parsed() -> dict:
    import yaml  # PyYAML: with the CGAN's torch and numpy, the only reader the GPU jobs need

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(SCHEMA_PATH) as fh:
        return yaml.load(fh, Loader=loader)


def load_schema() -> dict:
    """The schema, parsed once per process (a copy: callers may change it)."""
    return copy.deepcopy(_parsed())


def _default(spec: dict):
    """A key's default; an object's default filled with its keys' own (statistics.rope: {} ->
    each metric's)."""
    default = copy.deepcopy(spec["default"])
    if isinstance(default, dict) and "properties" in spec:
        default = {**{k: _default(v) for k, v in spec["properties"].items() if "default" in v}, **default}
    return default


def section(path: str) -> dict:
    """The schema of a section: ``cgan``, ``gate``, or a dotted path such as ``resamplers.smote``."""
    node = _parsed()["$defs"]
    first, *rest = path.split(".")
    node = node[first]
    for part in rest:
        node = node["properties"][part]
    return node


def defaults(path: str) -> dict:
    """Every key of a section with its default (see :func:`section`)."""
    return {k: _default(v) for k, v in section(path).get("properties", {}).items() if "default" in v}


def schema_field(path: str, key: str, convert=None):
    """A dataclass field whose default is the schema's (``path``: its section, see
    :func:`section`), read when an instance is made without it: the default lives in the schema
    only. ``convert``: applied to the default (a YAML list to a tuple)."""
    import dataclasses

    def default():
        value = defaults(path)[key]
        return convert(value) if convert else value

    return dataclasses.field(default_factory=default)
