"""The beat sweep: 80 % warnings and escalations of overdue requests (the clocked cases'
rules, qinqing.workhours.deadlines.watch)."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext_lazy

from accounts.selectors import supervisors_of
from qinqing.workhours import deadlines

from ..models import Request, RequestStatus
from .notifications import DEADLINE_KIND, department_officials


def watch_deadlines(now: datetime | None = None) -> dict[str, int]:
    """Warns at 80 % of an open request's limit and escalates once it is exceeded, each
    once."""
    candidates = Request.objects.filter(
        status__in=[RequestStatus.OPEN, RequestStatus.REOPENED]
    ).prefetch_related("pauses")
    return deadlines.watch(
        candidates,
        action="directline.request",
        kind=DEADLINE_KIND,
        officials=department_officials,
        supervisors=lambda request: supervisors_of(request.department_id),
        warning=gettext_lazy("Time limit 80 percent used: {subject}"),
        overdue=gettext_lazy("Overdue request: {subject}"),
        subject=lambda request: request.subject,
        link=lambda request: f"/requests/queue/{request.pk}/",
        now=now,
    )
