"""Literals as a rule writes them: amounts to the fen, quantities, whole numbers, dates,
yes/no and enumeration values, each checked against its fact type."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from datahub.facttypes import FactType
from qinqing.guard import is_plain_number

from .errors import RuleError
from .facts import FactSpec

FEN = Decimal("0.01")


NUMERIC = {FactType.MONEY, FactType.DECIMAL, FactType.INTEGER}


# Literals stay below 10^14 (MoneyField's range), so batch products cannot explode.
LIMIT = Decimal(10) ** 14


def _read_loosely(text: str) -> bool:
    """Text Python reads as a number though it is not written as a plain decimal."""
    if is_plain_number(text):
        return False
    try:
        Decimal(text.strip())
    except InvalidOperation:
        return False  # not a number at all: the type's own message says so
    return True


def parse_literal(kind: FactType, raw: Any, path: str, spec: FactSpec | None) -> Any:
    if kind in NUMERIC and isinstance(raw, str) and _read_loosely(raw):
        # Decimal and int read "1_000" as 1000 and "1e3" as 1000: a typo, not an amount.
        raise RuleError(path, 'write numbers with digits and one decimal point, such as '
                              '"1000.00" (no underscores or exponents)')  # fmt: skip
    try:
        if kind is FactType.MONEY:
            if isinstance(raw, float | bool):
                raise RuleError(path, 'write amounts as strings such as "1000.00", not floats')
            value = Decimal(str(raw))
            if not value.is_finite() or abs(value) >= LIMIT:
                raise RuleError(path, "an amount must be finite and below 10^14 yuan")
            if value != value.quantize(FEN):
                raise RuleError(path, "an amount has at most two decimal places (fen)")
            return value.quantize(FEN)
        if kind is FactType.DECIMAL:
            if isinstance(raw, float | bool):
                raise RuleError(path, 'write quantities as strings such as "120.5"')
            value = Decimal(str(raw))
            if not value.is_finite() or abs(value) >= LIMIT:
                raise RuleError(path, "a quantity must be finite and below 10^14")
            if value != value.quantize(Decimal("0.1")):
                raise RuleError(path, "a quantity has at most one decimal place")
            return value
        if kind is FactType.INTEGER:
            if isinstance(raw, bool) or not isinstance(raw, int | str):
                raise RuleError(path, "expected a whole number")
            value = int(raw)
            if abs(value) >= LIMIT:
                raise RuleError(path, "a whole number must be below 10^14")
            return value
        if kind is FactType.DATE:
            if isinstance(raw, date):
                return raw
            if not isinstance(raw, str):
                raise RuleError(path, "expected a date such as 2026-01-01")
            return date.fromisoformat(raw)
        if kind is FactType.BOOLEAN:
            if not isinstance(raw, bool):
                raise RuleError(path, "expected true or false")
            return raw
        if kind is FactType.ENUM:
            if not isinstance(raw, str):
                raise RuleError(path, "expected a text value")
            if spec is not None and raw not in spec.choices:
                raise RuleError(path, f"expected one of {', '.join(spec.choices)}")
            return str(raw)
    except RuleError:
        raise
    except (ValueError, TypeError, InvalidOperation):
        raise RuleError(path, f"{raw!r} is not of type {kind.value}") from None
    raise RuleError(path, f"unsupported type {kind}")
