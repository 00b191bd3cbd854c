"""Every status changes one way (qinqing/transitions.py): each model with a status declares
its transition table, covering every state its field may hold, and no code writes a status
but the mechanism (creating a row with its initial status is fine)."""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

from qinqing.transitions import Transitions

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "importlinter"
]["root_packages"]
MECHANISM = "qinqing/transitions.py"


def project_models() -> list[type]:
    return [
        model
        for model in apps.get_models()
        if model.__module__.split(".")[0] in PACKAGES and not model._meta.abstract
    ]


def status_models() -> list[type]:
    """Models with a `status` field, or a transition table on another field."""
    found = []
    for model in project_models():
        try:
            model._meta.get_field("status")
        except FieldDoesNotExist:
            if not isinstance(getattr(model, "transitions", None), Transitions):
                continue
        found.append(model)
    return found


def table_problems(model: type) -> list[str]:
    name = model._meta.label
    machine = getattr(model, "transitions", None)
    if not isinstance(machine, Transitions):
        return [f"{name}: no `transitions` (a qinqing.transitions.Transitions)"]
    states = {str(value) for value, _label in model._meta.get_field(machine.field).flatchoices}
    problems = []
    if missing := sorted(states - machine.states):
        problems.append(f"{name}.{machine.field}: states missing from the table: {missing}")
    if unknown := sorted(machine.states - states):
        problems.append(
            f"{name}.{machine.field}: the table names states not in the choices: {unknown}"
        )
    return problems


def test_the_models_with_a_status_are_found():
    """The check below is only as good as this list."""
    labels = {model._meta.label for model in status_models()}
    assert {"subsidies.Claim", "integrations.WebhookDelivery"} <= labels


def test_every_model_with_a_status_declares_its_transition_table():
    problems = [problem for model in status_models() for problem in table_problems(model)]
    assert problems == [], f"{len(problems)} problems:\n" + "\n".join(problems)


# --- No status written outside the mechanism ---------------------------------------------


@dataclass(frozen=True)
class Write:
    path: str
    line: int
    kind: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.kind}"


def _names_status(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Constant) and n.value == "status" for n in ast.walk(node))


def _call_name(call: ast.Call) -> str:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return call.func.id if isinstance(call.func, ast.Name) else ""


def status_writes_in(tree: ast.AST, path: str) -> list[Write]:
    """`.status = …` (also in a tuple), `update(status=…)` or `update(**{"status": …})`,
    "status" in `update_fields` or in `bulk_update`'s fields, `setattr(x, "status", …)`."""
    writes = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            flat = [
                e for t in targets for e in (t.elts if isinstance(t, ast.Tuple | ast.List) else [t])
            ]
            if any(isinstance(t, ast.Attribute) and t.attr == "status" for t in flat):
                writes.append(Write(path, node.lineno, ".status ="))
        elif isinstance(node, ast.Call):
            name = _call_name(node)
            if name == "update" and any(
                k.arg == "status" or (k.arg is None and isinstance(k.value, ast.Dict)
                                      and _names_status(k.value))
                for k in node.keywords
            ):  # fmt: skip
                writes.append(Write(path, node.lineno, "update(status=…)"))
            if any(k.arg == "update_fields" and _names_status(k.value) for k in node.keywords):
                writes.append(Write(path, node.lineno, '"status" in update_fields'))
            if name == "bulk_update" and (
                (len(node.args) > 1 and _names_status(node.args[1]))
                or any(k.arg == "fields" and _names_status(k.value) for k in node.keywords)
            ):
                writes.append(Write(path, node.lineno, 'bulk_update(…, ["status", …])'))
            if (
                name == "setattr"
                and len(node.args) > 1
                and isinstance(node.args[1], ast.Constant)
                and node.args[1].value == "status"
            ):
                writes.append(Write(path, node.lineno, 'setattr(…, "status", …)'))
    return writes


def status_writes() -> list[Write]:
    writes = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "migrations" in path.parts or relative == MECHANISM:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
            writes += status_writes_in(tree, relative)
    return sorted(writes, key=lambda write: (write.path, write.line))


def test_the_reader_finds_each_kind_of_status_write():
    source = """
claim.status = "paid"
claim.status, claim.note = "paid", ""
Claim.objects.filter(pk=1).update(status="paid")
Claim.objects.filter(pk=1).update(**{"status": "paid"})
claim.save(update_fields=["status"])
Claim.objects.bulk_update(rows, ["status", "note"])
setattr(claim, "status", "paid")
Claim.objects.create(status="submitted")  # creating a row: fine
claim.save(update_fields=["note"])
"""
    writes = sorted(status_writes_in(ast.parse(source), "example.py"), key=lambda w: w.line)
    kinds = [write.kind for write in writes]
    assert kinds == [
        ".status =",
        ".status =",
        "update(status=…)",
        "update(status=…)",
        '"status" in update_fields',
        'bulk_update(…, ["status", …])',
        'setattr(…, "status", …)',
    ]


def test_no_status_is_written_outside_the_mechanism():
    writes = status_writes()
    assert writes == [], f"{len(writes)} status writes outside {MECHANISM}:\n" + "\n".join(
        map(str, writes)
    )
