"""Money is Decimal yuan with two places, never float.

Amounts written as text are read strictly (`parse_yuan`): digits, one optional point and
sign. Python's Decimal also reads "1_000" (as 1000), "1e3", " 1000 ", "NaN" and
"Infinity"; a budget typed as "1_000" must be refused, not read as a thousand. The API's
money fields (every MoneyField of a ModelSerializer, through `YuanField`) and the forms
(qinqing.forms) read it this way.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from qinqing import guard

YUAN_PLACES = Decimal("0.01")
PLAIN_AMOUNT = guard.PLAIN_NUMBER


def yuan(value: Decimal | int | str) -> Decimal:
    """Exact yuan, rounded half-up to the fen. Floats are refused: they are not exact."""
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass a Decimal, int or str")
    if isinstance(value, str):
        value = parse_yuan(value)
    return Decimal(value).quantize(YUAN_PLACES, rounding=ROUND_HALF_UP)


def parse_yuan(text: str) -> Decimal:
    """An amount written as text, in plain decimal notation only; ValueError otherwise."""
    stripped = text.strip()
    if not PLAIN_AMOUNT.match(stripped):
        raise ValueError(f"not a plain decimal amount: {text[:40]!r}")
    try:
        return Decimal(stripped)
    except InvalidOperation as error:  # pragma: no cover - the pattern admits none
        raise ValueError(text) from error


class MoneyField(models.DecimalField):
    """Yuan with two places, up to 10^14 (city-wide budgets fit comfortably)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("max_digits", 16)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)


class YuanField(serializers.DecimalField):
    """DRF's DecimalField, reading text amounts in plain decimal notation only."""

    default_error_messages = {
        "plain": _("Write the amount with digits and one decimal point, such as \"1000.00\" "
                   "(no underscores, spaces or exponents)."),
    }  # fmt: skip

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, str) and data.strip() and not PLAIN_AMOUNT.match(data.strip()):
            self.fail("plain")
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


# Every ModelSerializer field built from a MoneyField reads amounts strictly.
serializers.ModelSerializer.serializer_field_mapping[MoneyField] = YuanField
