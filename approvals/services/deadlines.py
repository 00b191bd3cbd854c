"""The beat sweep: 80 % warnings and escalations of overdue items."""

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
    Item,
    ItemStatus,
)
from .notifications import item_officials


def watch_deadlines(now: datetime | None = None) -> dict[str, int]:
    """Warns at 80 % of an open item's limit and escalates once it is exceeded, each once
    (qinqing.workhours.deadlines)."""
    open_items = (
        Item.objects.filter(status=ItemStatus.PENDING)
        .select_related("item_type", "application")
        .prefetch_related("pauses")
    )
    return deadlines.sweep(open_items, clock_of=read_clock, warn=_warn, escalate=_escalate, now=now)


def _warn(item: Item) -> None:
    users = [item.assigned_to_id] if item.assigned_to_id else item_officials(item)
    record_event(actor=None, action="approvals.item.deadline_warning", obj=item)
    if users:
        notify(
            users,
            "approval.deadline",
            Message(gettext_lazy("80 percent of the time limit used: {item}"), item=item),
            link=f"/approvals/review/{item.pk}/",
        )


def _escalate(item: Item) -> None:
    """Overdue: the department's supervisors (or, without any, its city-wide officials)."""
    supervisors = supervisors_of(item.department_id)
    record_event(
        actor=None, action="approvals.item.escalated", obj=item, after={"told": supervisors}
    )
    if supervisors:
        notify(
            supervisors,
            "approval.deadline",
            Message(gettext_lazy("Overdue approval item: {item}"), item=item),
            link=f"/approvals/review/{item.pk}/",
        )
