"""Deadlines on the pages: the flag of a deadline that runs into a year whose holiday
calendar is not loaded (clock.deadline_gaps), in the words of calendar_gap_warning."""

from datetime import date, datetime

from django import template

from qinqing.templatetags.qinqing_format import calendar_gap_warning

from ..clock import deadline_gaps

register = template.Library()


@register.filter
def deadline_gap_warning(deadline: datetime | date | None) -> str:
    """ "The holiday calendar for 2027 has not been loaded…" for a deadline that runs into
    2027 while 2027's calendar is missing; empty otherwise."""
    if not isinstance(deadline, (datetime, date)):
        return ""
    return calendar_gap_warning(deadline_gaps(deadline))
