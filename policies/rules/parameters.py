"""Parameters: thresholds and amounts that change on dates, each value with its legal
reference."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from datahub.facttypes import FactType

from .errors import RuleError
from .literals import parse_literal


@dataclass(frozen=True)
class DatedValue:
    starts: date
    value: Any
    reference: str


@dataclass(frozen=True)
class Parameter:
    """A threshold or amount that changes on dates, each value with its legal reference."""

    name: str
    type: FactType
    values: tuple[DatedValue, ...]  # sorted by start date

    def at(self, when: date) -> Any:
        current = None
        for dated in self.values:
            if dated.starts <= when:
                current = dated
        if current is None:
            raise RuleError(f"parameters.{self.name}", f"has no value on {when.isoformat()}")
        return current.value


def parse_parameters(raw: Any) -> dict[str, Parameter]:
    if raw in (None, {}):
        return {}
    if not isinstance(raw, dict):
        raise RuleError("parameters", "must be an object of named parameters")
    parameters = {}
    for name, body in raw.items():
        path = f"parameters.{name}"
        if not isinstance(body, dict) or "type" not in body or "values" not in body:
            raise RuleError(path, "needs a type and a list of dated values")
        try:
            kind = FactType(body["type"])
        except (ValueError, TypeError):
            raise RuleError(f"{path}.type", f"unknown type {body['type']!r}") from None
        if not isinstance(body["values"], list) or not body["values"]:
            raise RuleError(f"{path}.values", "needs at least one dated value")
        values = []
        for index, item in enumerate(body["values"]):
            item_path = f"{path}.values[{index}]"
            if not isinstance(item, dict) or not {"from", "value", "reference"} <= set(item):
                raise RuleError(item_path, "needs from (a date), value and reference")
            if not str(item["reference"]).strip():
                raise RuleError(f"{item_path}.reference", "cite the clause this value comes from")
            starts = parse_literal(FactType.DATE, item["from"], f"{item_path}.from", None)
            values.append(DatedValue(starts, parse_literal(kind, item["value"],
                                                            f"{item_path}.value", None),
                                     str(item["reference"])))  # fmt: skip
        values.sort(key=lambda dated: dated.starts)
        if len({dated.starts for dated in values}) != len(values):
            raise RuleError(f"{path}.values", "two values start on the same date")
        parameters[name] = Parameter(name, kind, tuple(values))
    return parameters
