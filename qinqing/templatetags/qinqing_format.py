"""Formatting that must not depend on locale settings: money always reads ¥1,234,567.89."""

from decimal import Decimal, InvalidOperation

from django import template

from qinqing.money import yuan as to_yuan

register = template.Library()


@register.filter
def yuan(value: Decimal | int | str | None) -> str:
    if value is None or value == "":
        return "—"
    try:
        amount = to_yuan(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    return f"¥{amount:,.2f}"
