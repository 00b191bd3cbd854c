"""Formatting that must not depend on locale settings: money always reads ¥1,234,567.89;
working time reads in office hours and minutes, in the user's language."""

import math
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django import template
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from qinqing.i18n import article_ref, join_list
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


@register.filter
def article(value: object) -> str:
    """`{{ clause|article }}`: "第二条" in Chinese, "Art. 2" in English (qinqing.i18n)."""
    return article_ref(value)


@register.filter
def joined(values: Iterable[object]) -> str:
    """`{{ names|joined }}`: "甲、乙" in Chinese, "a, b" in English (qinqing.i18n)."""
    return join_list(values or ())


@register.filter
def yes_no(value: object) -> str:
    """True/False as a person reads them: 是/否 (Yes/No); None is "unknown"."""
    if value is None or value == "":
        return _("unknown")
    return _("Yes") if value else _("No")


@register.filter
def headcount(value: object) -> str:
    """A number of people: "41 人" / "41 persons"."""
    if value is None or value == "":
        return "—"
    return _("%(count)s persons") % {"count": value}


_PERIOD = re.compile(r"^(?P<year>\d{4})(?:(?:Q(?P<quarter>[1-4]))|(?:-(?P<month>\d{2})))?$")


@register.filter
def period_words(value: object) -> str:
    """A claim period key in words: "once" → one-off, "2026" → the year 2026, "2026Q1" →
    the first quarter of 2026, "2026-03" → March 2026; anything else as it is."""
    text = str(value or "")
    if text == "once":
        return _("one-off (once only)")
    match = _PERIOD.match(text)
    if match is None:
        return text
    year = int(match["year"])
    if match["quarter"]:
        return _("quarter %(quarter)s of %(year)d") % {"quarter": match["quarter"], "year": year}
    if match["month"]:
        return _("%(year)d-%(month)s") % {"year": year, "month": match["month"]}
    return _("the year %(year)d") % {"year": year}


def working_duration(seconds: int) -> str:
    """Office seconds as hours and minutes, minutes rounded up: 12000 → "3 h 20 min"."""
    hours, minutes = divmod(math.ceil(abs(seconds) / 60), 60)
    if hours and minutes:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if hours:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(minutes)d min") % {"minutes": minutes}


@register.filter
def working_time_left(value: object) -> str:
    """A clock reading's (or a number of seconds') remaining office time: "还剩 3 小时 20 分
    （工作时间）" / "3 h 20 min of working time left", "overdue by …" once negative."""
    seconds = getattr(value, "remaining_seconds", value)
    if seconds is None or seconds == "":
        return "—"
    try:
        seconds = int(seconds)
    except (TypeError, ValueError):
        return str(value)
    if seconds > 0:
        return _("%(duration)s of working time left") % {"duration": working_duration(seconds)}
    if seconds == 0:
        return _("working time used up")
    return _("overdue by %(duration)s of working time") % {"duration": working_duration(seconds)}


@register.filter
def calendar_gap_warning(value: object) -> str:
    """The warning for a clock reading's (or a list of) years without a holiday calendar;
    empty when there are none."""
    years: Iterable[int] = getattr(value, "calendar_gaps", value) or ()
    names = [str(year) for year in years]
    if not names:
        return ""
    return _(
        "The holiday calendar for %(years)s has not been loaded; only weekends count as days off."
    ) % {"years": get_text_list(names, _("and"))}
