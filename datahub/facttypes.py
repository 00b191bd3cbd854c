"""The types of the fact catalogue's values and their JSON form, with no Django: the rule
engine (policies/rules/, policies/engine.py) and tools/verify.py use them outside the
portal. The labels people read are filled in by datahub/catalogue.py."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal
from typing import Any

# FactType -> its label (a lazy translation), set by datahub/catalogue.py.
TYPE_LABELS: dict[FactType, Any] = {}


class FactType(enum.StrEnum):
    MONEY = "money"  # Decimal yuan, two places
    DECIMAL = "decimal"  # a quantity with a unit (m²), Decimal
    INTEGER = "integer"
    DATE = "date"
    BOOLEAN = "boolean"
    ENUM = "enum"
    # An identifier compared for equality only (the USCC of a person's employer, a bank
    # account): no arithmetic, no order. Empty means "none" (no employer).
    TEXT = "text"

    @property
    def label(self) -> str:
        return str(TYPE_LABELS.get(self, self.value))


def to_json(value: Any) -> Any:
    """For payloads and snapshots stored as JSON: Decimal and dates as strings."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def from_json(kind: FactType, value: Any) -> Any:
    """The typed value of `to_json`'s form (None stays None: unknown)."""
    if value is None:
        return None
    if kind in (FactType.MONEY, FactType.DECIMAL):
        return Decimal(str(value))
    if kind is FactType.INTEGER:
        return int(value)
    if kind is FactType.DATE:
        return date.fromisoformat(str(value))
    if kind is FactType.BOOLEAN:
        if not isinstance(value, bool):
            raise ValueError(f"not a boolean: {value!r}")
        return value
    return str(value)
