import json
from datetime import date
from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

from datahub.catalogue import CATALOGUE

register = template.Library()


@register.filter
def fact_label(name: str) -> str:
    """The fact's label in the active language; unknown names are shown as they are."""
    spec = CATALOGUE.get(name)
    return spec.label if spec else name


@register.filter
def fact_labels(names: list[str]) -> str:
    return "、".join(fact_label(name) for name in names)


@register.filter
def fact_value(value, name: str) -> str:
    """A fact's value as a person reads it: 是/否, ¥1,234.00, 120.5 m², 2026-01-01."""
    if value is None:
        return _("unknown")
    spec = CATALOGUE.get(name)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, date):
        return value.isoformat()
    if spec is not None and spec.unit == "CNY":
        return f"¥{Decimal(value):,.2f}"
    if spec is not None and spec.unit:
        return f"{value:,} {spec.unit_label}" if not isinstance(value, str) else value
    return str(value)


@register.filter
def as_json(value) -> str:
    """Rules and formulas as the JSON the API takes, readable (Chinese kept as is)."""
    return json.dumps(value, ensure_ascii=False, indent=2)


@register.filter
def department_name(code: str, departments: dict) -> str:
    """The department's name in the active language, from a {code: Department} map the
    view loaded once (a query per criterion would repeat on every row)."""
    department = departments.get(code) if departments else None
    return department.name if department else code
