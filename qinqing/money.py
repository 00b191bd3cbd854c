"""Money is Decimal yuan with two places, never float."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models

YUAN_PLACES = Decimal("0.01")


def yuan(value: Decimal | int | str) -> Decimal:
    """Exact yuan, rounded half-up to the fen. Floats are refused: they are not exact."""
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass a Decimal, int or str")
    return Decimal(value).quantize(YUAN_PLACES, rounding=ROUND_HALF_UP)


class MoneyField(models.DecimalField):
    """Yuan with two places, up to 10^14 (city-wide budgets fit comfortably)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("max_digits", 16)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)
