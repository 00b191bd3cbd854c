"""The beat sweep: 80 % warnings and escalations of overdue requests."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext_lazy

from accounts.selectors import supervisors_of
from qinqing.audit.services import record_event
from qinqing.notifications.services import notify
from qinqing.notifications.text import Message
from qinqing.workhours import deadlines
from qinqing.workhours.case_services import read_clock

from ..models import (
    Request,
    RequestStatus,
)
from .notifications import DEADLINE_KIND, department_officials


def watch_deadlines(now: datetime | None = None) -> dict[str, int]:
    """Warns at 80 % of an open request's limit and escalates once it is exceeded, each
    once (qinqing.workhours.deadlines)."""
    candidates = Request.objects.filter(
        status__in=[RequestStatus.OPEN, RequestStatus.REOPENED]
    ).prefetch_related("pauses")
    return deadlines.sweep(candidates, clock_of=read_clock, warn=_warn, escalate=_escalate, now=now)


def _warn(request: Request) -> None:
    record_event(actor=None, action="directline.request.deadline_warning", obj=request)
    users = department_officials(request)
    if users:
        notify(
            users,
            DEADLINE_KIND,
            Message(gettext_lazy("Time limit 80 percent used: {subject}"), subject=request.subject),
            link=f"/requests/queue/{request.pk}/",
        )


def _escalate(request: Request) -> None:
    supervisors = supervisors_of(request.department_id)
    record_event(
        actor=None, action="directline.request.escalated", obj=request, after={"told": supervisors}
    )
    if supervisors:
        notify(
            supervisors,
            DEADLINE_KIND,
            Message(gettext_lazy("Overdue request: {subject}"), subject=request.subject),
            link=f"/requests/queue/{request.pk}/",
        )
