"""The codebase's layout rules (issue J): each rule's name leads to its script and its stage's module,
modules and functions stay small enough to read, and the facts that used to live in several places
have one home."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from conftest import REPO

PACKAGE = REPO / "workflow" / "infantfer"
RULES = REPO / "workflow" / "rules"
SCRIPTS = REPO / "workflow" / "scripts"
MAX_MODULE_LINES, MAX_FUNCTION_LINES, MAX_DOCSTRING_LINES = 400, 60, 30
# name: why it may be longer (none today; an entry here is a decision, written down)
EXCEPTIONS: dict[str, str] = {}


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def offenders() -> list[str]:
    found = []
    for path in modules():
        rel = path.relative_to(PACKAGE).as_posix()
        source = path.read_text()
        tree = ast.parse(source)
        if len(source.splitlines()) > MAX_MODULE_LINES:
            found.append(f"{rel}: {len(source.splitlines())} lines")
        doc = ast.get_docstring(tree) or ""
        if len(doc.splitlines()) > MAX_DOCSTRING_LINES:
            found.append(f"{rel}: docstring of {len(doc.splitlines())} lines")
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                span = node.end_lineno - node.lineno + 1
                if span > MAX_FUNCTION_LINES:
                    found.append(f"{rel}:{node.lineno} {node.name}: {span} lines")
    return [f for f in found if f.split(":")[0] not in EXCEPTIONS]


def test_modules_functions_and_docstrings_stay_within_their_limits():
    assert offenders() == [], "\n".join(offenders())


def rules_by_stage() -> dict[str, list[tuple[str, str | None]]]:
    """stage -> [(rule, script)] for every rule and checkpoint in workflow/rules/<stage>.smk."""
    table = {}
    for smk in sorted(RULES.glob("*.smk")):
        if smk.stem == "common":
            continue
        rules, current = [], None
        for line in smk.read_text().splitlines():
            head = re.match(r"(?:rule|checkpoint) (\w+):", line)
            if head:
                current = head.group(1)
                rules.append([current, None])
            script = re.match(r'\s+"\.\./scripts/(\w+)\.py"', line)
            if script and rules and rules[-1][1] is None and prev_was_script:
                rules[-1][1] = script.group(1)
            prev_was_script = line.strip() == "script:"
        table[smk.stem] = [tuple(r) for r in rules]
    return table


def test_every_rule_runs_the_script_of_its_name_which_calls_its_stage_s_module():
    table = rules_by_stage()
    assert table, "no rule files found"
    wrong = []
    for stage, rules in table.items():
        assert (PACKAGE / f"{stage}.py").is_file() or (PACKAGE / stage / "__init__.py").is_file(), \
            f"rules/{stage}.smk has no module infantfer.{stage}"
        for rule, script in rules:
            if script != rule:
                wrong.append(f"rule {rule} (rules/{stage}.smk) runs scripts/{script}.py")
                continue
            source = (SCRIPTS / f"{script}.py").read_text()
            if not re.search(rf"^(from infantfer\.{stage}\b|from infantfer import .*\b{stage}\b|import infantfer\.{stage}\b)",
                             source, re.M):
                wrong.append(f"scripts/{script}.py does not call infantfer.{stage}")
    assert wrong == [], "\n".join(wrong)


def test_every_script_belongs_to_a_rule():
    named = {script for rules in rules_by_stage().values() for _, script in rules}
    assert sorted(p.stem for p in SCRIPTS.glob("*.py")) == sorted(named)


def workflow_sources() -> dict[Path, str]:
    paths = [*PACKAGE.rglob("*.py"), *SCRIPTS.glob("*.py"), *RULES.glob("*.smk"), REPO / "Snakefile"]
    return {p: p.read_text() for p in paths}


def literal_places(value) -> list[str]:
    """Where ``value`` is written as a literal in the package and the scripts (docstrings and
    comments aside), and where the rule files spell it."""
    places = []
    for path, text in workflow_sources().items():
        if path.suffix == ".py":
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, (ast.List, ast.Tuple)) and isinstance(value, list):
                    if [getattr(e, "value", None) for e in node.elts] == value:
                        places.append(f"{path.relative_to(REPO)}:{node.lineno}")
                elif isinstance(node, ast.Constant) and type(node.value) is type(value) and node.value == value:
                    places.append(f"{path.relative_to(REPO)}:{node.lineno}")
        else:
            spelled = "|".join(value) if isinstance(value, list) else str(value)
            places += [f"{path.relative_to(REPO)}:{i}" for i, line in enumerate(text.splitlines(), 1)
                       if spelled in line and not line.lstrip().startswith("#")]
    return places


@pytest.mark.parametrize("fact", [7919, "f1_adaboost", "smoteenn_cgan"],
                         ids=["top-up seed stream", "method classifier", "method arm"])
def test_a_fact_has_one_definition_under_workflow(fact):
    places = literal_places(fact)
    assert len(places) == 1, f"{fact} is written in {places}"


def test_the_metrics_are_their_registry():
    """infantfer.metrics.REGISTRY is the one definition of the metrics: no list of their names is
    written out anywhere (the rules spell them from METRICS), and each name is registered once."""
    from infantfer.metrics import METRICS, REGISTRY

    assert METRICS == list(REGISTRY) == ["macro_f1", "g_mean", "auc_ovr"]
    assert literal_places(METRICS) == []
    registered = [p for p in literal_places("g_mean") if p.startswith("workflow/infantfer/metrics.py")]
    assert len(registered) == 1, registered


def test_no_table_boolean_is_compared_as_text():
    places = [f"{p.relative_to(REPO)}:{i}" for p, text in workflow_sources().items()
              for i, line in enumerate(text.splitlines(), 1) if re.search(r"""==\s*["']True["']""", line)]
    assert places == []
