"""The deadline sweep the clocked apps run (approval items, enterprise requests, fact
disputes): warn at 80 % of the limit, escalate once it is exceeded, each at most once per
row; `watch` adds who is told (the case's officials, then its supervisors).

The rows carry `warned_at` and `escalated_at`; each step is claimed with a conditional
UPDATE on them, so two sweeps running at once still send one warning and one escalation.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from qinqing.audit.services import record_event
from qinqing.notifications.services import notify
from qinqing.notifications.text import Message

from .case_services import read_clock
from .clock import ClockReading


def sweep(
    candidates: QuerySet,
    *,
    clock_of: Callable[[Any, datetime], ClockReading],
    warn: Callable[[Any], None],
    escalate: Callable[[Any], None],
    now: datetime | None = None,
) -> dict[str, int]:
    now = now or timezone.now()
    rows = candidates.model._default_manager
    counts = {"warned": 0, "escalated": 0}
    due = candidates.filter(Q(warned_at__isnull=True) | Q(escalated_at__isnull=True))
    for row in due.iterator(chunk_size=500):
        clock = clock_of(row, now)
        if clock.overdue and row.escalated_at is None:
            claimed = rows.filter(pk=row.pk, escalated_at__isnull=True).update(
                escalated_at=now, warned_at=row.warned_at or now
            )
            if claimed:
                counts["escalated"] += 1
                escalate(row)
        elif (
            clock.warn
            and row.warned_at is None
            and rows.filter(pk=row.pk, warned_at__isnull=True).update(warned_at=now)
        ):
            counts["warned"] += 1
            warn(row)
    return counts


def watch(
    candidates: QuerySet,
    *,
    action: str,
    kind: str,
    officials: Callable[[Any], list[int]],
    supervisors: Callable[[Any], list[int]],
    warning: Any,
    overdue: Any,
    subject: Callable[[Any], str],
    link: Callable[[Any], str],
    now: datetime | None = None,
) -> dict[str, int]:
    """The clocked cases' deadline rules, written once (enterprise requests, fact
    disputes): at 80 % the case's officials are told (`<action>.deadline_warning` in the
    trail); once exceeded its department's supervisors (`<action>.escalated`, naming whom).
    `warning` and `overdue` are the titles ({subject} in them), `kind` the notification's."""

    def warn(row: Any) -> None:
        record_event(actor=None, action=f"{action}.deadline_warning", obj=row)
        users = officials(row)
        if users:
            notify(users, kind, Message(warning, subject=subject(row)), link=link(row))

    def escalate(row: Any) -> None:
        told = supervisors(row)
        record_event(actor=None, action=f"{action}.escalated", obj=row, after={"told": told})
        if told:
            notify(told, kind, Message(overdue, subject=subject(row)), link=link(row))

    return sweep(candidates, clock_of=read_clock, warn=warn, escalate=escalate, now=now)
