"""Eligibility criteria: `all` / `any` / `not` groups of leaves, each comparing one fact
with a literal or a dated parameter (Leaf, Group, Operand), parsed and type-checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from datahub.facttypes import FactType

from .errors import RuleError
from .facts import ENTERPRISE, FactSpec, rule_fact
from .literals import parse_literal
from .parameters import Parameter
from .size_limits import check_size

OPERATOR_ALIASES = {"=": "eq", "==": "eq", "≠": "ne", "!=": "ne", "<": "lt", "≤": "le",
                    "<=": "le", ">": "gt", "≥": "ge", ">=": "ge"}  # fmt: skip


ORDERED_TYPES = {FactType.MONEY, FactType.DECIMAL, FactType.INTEGER, FactType.DATE}


OPERATORS_BY_TYPE = {
    **{t: {"eq", "ne", "lt", "le", "gt", "ge", "between", "in", "not_in", "known"}
       for t in ORDERED_TYPES},
    FactType.BOOLEAN: {"eq", "ne", "is_true", "is_false", "known"},
    FactType.ENUM: {"eq", "ne", "in", "not_in", "known"},
}  # fmt: skip


NO_OPERAND = {"is_true", "is_false", "known"}


@dataclass(frozen=True)
class Operand:
    """A literal or a parameter, resolved for a given date by `value_at`."""

    literal: Any = None
    parameter: Parameter | None = None

    def value_at(self, when: date) -> Any:
        return self.parameter.at(when) if self.parameter else self.literal

    def describe(self) -> Any:
        return {"param": self.parameter.name} if self.parameter else self.literal


@dataclass(frozen=True)
class Leaf:
    id: str
    label: dict[str, str]
    clause: str
    fact: FactSpec
    op: str
    operands: tuple[Operand, ...] = ()
    inclusive: tuple[bool, bool] = (True, True)
    path: str = ""


@dataclass(frozen=True)
class Group:
    kind: str  # all / any / not
    children: tuple[Leaf | Group, ...]
    id: str = ""
    label: dict[str, str] = field(default_factory=dict)


Node = Leaf | Group


def parse_criteria(raw: Any, parameters: dict[str, Parameter], path: str = "criteria", *,
                   beneficiary: str = ENTERPRISE) -> Node:  # fmt: skip
    check_size(raw, path)
    ids: set[str] = set()
    return _parse_node(raw, parameters, path, ids, beneficiary)


def _parse_node(raw: Any, parameters: dict[str, Parameter], path: str, ids: set[str],
                beneficiary: str = ENTERPRISE) -> Node:  # fmt: skip
    if not isinstance(raw, dict):
        raise RuleError(path, "expected an object: a criterion or all/any/not")
    for kind in ("all", "any"):
        if kind in raw:
            children = raw[kind]
            if not isinstance(children, list) or not children:
                raise RuleError(f"{path}.{kind}", "needs a non-empty list")
            return Group(kind, tuple(_parse_node(child, parameters, f"{path}.{kind}[{i}]", ids,
                                                 beneficiary)
                                     for i, child in enumerate(children)),
                         str(raw.get("id", "")), _label(raw, path, required=False))  # fmt: skip
    if "not" in raw:
        return Group("not", (_parse_node(raw["not"], parameters, f"{path}.not", ids,
                                         beneficiary),),
                     str(raw.get("id", "")), _label(raw, path, required=False))  # fmt: skip
    return _parse_leaf(raw, parameters, path, ids, beneficiary)


def _label(raw: dict, path: str, *, required: bool) -> dict[str, str]:
    label = raw.get("label")
    if label is None and not required:
        return {}
    if (
        not isinstance(label, dict)
        or not str(label.get("zh", "")).strip()
        or not str(label.get("en", "")).strip()
    ):
        raise RuleError(f"{path}.label", "needs a label in Chinese (zh) and English (en)")
    return {"zh": str(label["zh"]), "en": str(label["en"])}


def _parse_leaf(raw: dict, parameters: dict[str, Parameter], path: str, ids: set[str],
                beneficiary: str = ENTERPRISE) -> Leaf:  # fmt: skip
    criterion_id = str(raw.get("id", "")).strip()
    if not criterion_id:
        raise RuleError(f"{path}.id", "every criterion needs an id")
    if criterion_id in ids:
        raise RuleError(f"{path}.id", f"the id {criterion_id!r} is used twice")
    ids.add(criterion_id)
    label = _label(raw, path, required=True)
    clause = str(raw.get("clause", "")).strip()
    if not clause:
        raise RuleError(f"{path}.clause", "name the clause this criterion implements")
    spec = rule_fact(raw.get("fact"), beneficiary, f"{path}.fact")
    raw_op = raw.get("op")
    if not isinstance(raw_op, str):
        raise RuleError(f"{path}.op", "name an operator, e.g. ge")
    op = OPERATOR_ALIASES.get(raw_op, raw_op)
    if op not in OPERATORS_BY_TYPE[spec.type]:
        allowed = ", ".join(sorted(OPERATORS_BY_TYPE[spec.type]))
        raise RuleError(f"{path}.op", f"{op!r} does not apply to a {spec.type.value} "
                                      f"fact; use one of {allowed}")  # fmt: skip
    if op in NO_OPERAND:
        if "value" in raw:
            raise RuleError(f"{path}.value", f"{op} takes no value")
        return Leaf(criterion_id, label, clause, spec, op, path=path)
    if "value" not in raw:
        raise RuleError(f"{path}.value", f"{op} needs a value")
    value = raw["value"]
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise RuleError(f"{path}.value", f"{op} needs a non-empty list")
        operands = tuple(_operand(item, spec, parameters, f"{path}.value[{i}]")
                         for i, item in enumerate(value))  # fmt: skip
        return Leaf(criterion_id, label, clause, spec, op, operands, path=path)
    if op == "between":
        if not isinstance(value, dict) or not {"from", "to"} <= set(value):
            raise RuleError(f"{path}.value", "between needs from and to")
        inclusive = value.get("inclusive", [True, True])
        if (not isinstance(inclusive, list) or len(inclusive) != 2
                or not all(isinstance(flag, bool) for flag in inclusive)):  # fmt: skip
            raise RuleError(f"{path}.value.inclusive", "give [true/false, true/false]")
        operands = (_operand(value["from"], spec, parameters, f"{path}.value.from"),
                    _operand(value["to"], spec, parameters, f"{path}.value.to"))  # fmt: skip
        if (
            not operands[0].parameter
            and not operands[1].parameter
            and (operands[0].literal > operands[1].literal)
        ):
            raise RuleError(f"{path}.value", "from is after to: nothing could match")
        return Leaf(criterion_id, label, clause, spec, op, operands, tuple(inclusive), path)
    return Leaf(criterion_id, label, clause, spec, op,
                (_operand(value, spec, parameters, f"{path}.value"),), path=path)  # fmt: skip


def _operand(raw: Any, spec: FactSpec, parameters: dict[str, Parameter], path: str) -> Operand:
    if isinstance(raw, dict):
        if set(raw) != {"param"}:
            raise RuleError(path, 'an operand is a literal or {"param": name}')
        name = raw["param"]
        if not isinstance(name, str) or name not in parameters:
            raise RuleError(path, f"unknown parameter {name!r}")
        parameter = parameters[name]
        if parameter.type is not spec.type:
            raise RuleError(path, f"parameter {name!r} is a {parameter.type.value} but "
                                  f"{spec.name} is a {spec.type.value}")  # fmt: skip
        if spec.type is FactType.ENUM:
            for dated in parameter.values:
                if dated.value not in spec.choices:
                    raise RuleError(f"parameters.{name}", f"{dated.value!r} is not one of "
                                                          f"{', '.join(spec.choices)}")  # fmt: skip
        return Operand(parameter=parameter)
    return Operand(literal=parse_literal(spec.type, raw, path, spec))


def leaves(node: Node) -> list[Leaf]:
    if isinstance(node, Leaf):
        return [node]
    return [leaf for child in node.children for leaf in leaves(child)]
