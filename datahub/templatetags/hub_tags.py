import json

from django import template

from datahub.catalogue import CATALOGUE, PERSON_CATALOGUE, display_value
from qinqing.i18n import join_list

register = template.Library()


@register.filter
def fact_label(name: str) -> str:
    """The fact's label in the active language; unknown names are shown as they are."""
    spec = CATALOGUE.get(name) or PERSON_CATALOGUE.get(name)
    return spec.label if spec else name


@register.filter
def fact_labels(names: list[str]) -> str:
    return join_list(fact_label(name) for name in names)


@register.filter
def fact_value(value, name: str) -> str:
    """A fact's value as a person reads it: 是/否, 存续, ¥1,234.00, 41 人, 2026-01-01."""
    return display_value(name, value)


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
