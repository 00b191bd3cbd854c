"""Formatting for the officials' policy and batch run pages."""

from datetime import date, datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def moment(value: datetime | date | None) -> str:
    """A time as 2026-12-05 16:12 in the city's time zone, in every language (Django's
    default English format gives "4:12 p.m.", and a sentence then ends "p.m..")."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
