from django import template

from departments.hub.catalogue import CATALOGUE

register = template.Library()


@register.filter
def fact_label(name: str) -> str:
    """The fact's label in the active language; unknown names are shown as they are."""
    spec = CATALOGUE.get(name)
    return spec.label if spec else name


@register.filter
def fact_labels(names: list[str]) -> str:
    return "、".join(fact_label(name) for name in names)
