"""How a dashboard value reads on the page, by its kind (see figures.ValueKind).

The same value is exported raw (CSV, Excel) and drawn by charts.js; here it becomes text a
person reads: ¥1,234,567.89, 12.3%, 3.2 h, 850 ms … 1.5 d, 2026-11, 12,345, and "—" when
there is no data.
"""

from datetime import date
from decimal import InvalidOperation
from typing import Any

from django import template
from django.conf import settings
from django.forms import BoundField
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from dashboards.figures import Figure
from qinqing.i18n import join_list
from qinqing.templatetags.qinqing_format import yuan

register = template.Library()

NO_DATA = "—"
NUMERIC_KINDS = frozenset({"int", "money", "share", "hours", "seconds", "ms"})

# The filter bar's names, for "Not filtered by: …" (the same words as the form's labels).
FILTER_NAMES = {
    "period": pgettext_lazy("dashboard", "Period"),
    "district": gettext_lazy("District"),
    "department": gettext_lazy("Department"),
    "policy": gettext_lazy("Policy"),
    "industry": gettext_lazy("Industry"),
}


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError, InvalidOperation):
        return None


def _one_place(number: float) -> str:
    return f"{number:,.1f}"


def duration_ms(ms: float) -> str:
    """A duration in milliseconds in the unit that reads best as it grows."""
    if ms < 1000:
        return _("%(value)s ms") % {"value": f"{ms:,.0f}"}
    seconds = ms / 1000
    if seconds < 60:
        return _("%(value)s s") % {"value": _one_place(seconds)}
    if seconds < 3600:
        return _("%(value)s min") % {"value": _one_place(seconds / 60)}
    if seconds < 86400:
        return _("%(value)s h") % {"value": _one_place(seconds / 3600)}
    return _("%(value)s d") % {"value": _one_place(seconds / 86400)}


@register.filter
def as_kind(value: Any, kind: str) -> str:
    """`{{ value|as_kind:column.kind }}`: the value as the page shows it."""
    if value is None or value == "":
        return NO_DATA
    if kind == "money":
        return yuan(value)
    if kind == "month":
        if isinstance(value, date):
            return value.strftime("%Y-%m")
        return str(value)
    if kind == "text":
        return str(value)
    number = _number(value)
    if number is None:
        return str(value)
    if kind == "int":
        return f"{round(number):,d}"
    if kind == "share":
        return f"{number * 100:.1f}%"
    if kind == "hours":
        return _("%(value)s h") % {"value": _one_place(number)}
    if kind == "seconds":
        return duration_ms(number * 1000)
    if kind == "ms":
        return duration_ms(number)
    return str(value)


@register.filter
def is_numeric(kind: str) -> bool:
    """Numbers are right-aligned in tables."""
    return kind in NUMERIC_KINDS


@register.filter
def table_body(figure: Figure) -> SafeString:
    """The <tbody> rows, built here in one pass: a city page has some four hundred cells,
    and a template loop resolving each cell's text, label and alignment cost more than
    every query on the page. Every value and label is escaped."""
    columns = [
        (escape(str(column.label)), ' class="num"' if column.kind in NUMERIC_KINDS else "",
         column.kind)
        for column in figure.columns
    ]  # fmt: skip
    rows = []
    for row in figure.rows:
        cells = []
        for index, (value, (label, align, kind)) in enumerate(zip(row, columns, strict=False)):
            text = escape(as_kind(value, kind))
            if index == 0:
                cells.append(f'<th scope="row" data-label="{label}"{align}>{text}</th>')
            else:
                cells.append(f'<td data-label="{label}"{align}>{text}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return SafeString("\n".join(rows))


@register.filter
def filter_names(names: tuple[str, ...]) -> str:
    """("policy", "industry") → "Policy, Industry" in the page's language."""
    return join_list(FILTER_NAMES.get(name, name) for name in names)


@register.simple_tag
def refresh_minutes() -> int:
    """How often beat rebuilds the tallies (settings.DASHBOARD_REFRESH_MINUTES)."""
    return int(getattr(settings, "DASHBOARD_REFRESH_MINUTES", 5))


@register.filter
def quick_select(field: BoundField) -> SafeString:
    """A filter's <select>, built here rather than by Django's widget templates: those
    render a template per option, and the department list alone has some seventy —
    most of the page's time at city scale went there. Every value and label is escaped."""
    chosen = field.value()
    chosen = "" if chosen is None else str(chosen)
    options = []
    for value, label in field.field.choices:
        value = str(value)
        selected = " selected" if value == chosen else ""
        options.append(f'<option value="{escape(value)}"{selected}>{escape(str(label))}</option>')
    name, auto_id = escape(field.html_name), escape(field.auto_id)
    extra = f' aria-describedby="{auto_id}_error" aria-invalid="true"' if field.errors else ""
    return SafeString(f'<select name="{name}" id="{auto_id}"{extra}>{"".join(options)}</select>')
