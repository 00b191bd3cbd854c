"""What happens to a clocked case's clock and thread (qinqing.workhours.cases), written once
for approval items and enterprise requests: read the clock, pause it, resume it, post a
message. Call inside the caller's transaction, on a case whose row the caller has locked;
the status moves that go with a pause are the caller's (qinqing.transitions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone

from .cases import ClockedCase
from .clock import ClockReading, reading


def pauses_of(case: ClockedCase) -> list[tuple[datetime, datetime | None]]:
    """The case's pauses as (start, end) pairs; none before it is saved."""
    if case.pk is None:
        return []
    return [(pause.started_at, pause.ended_at) for pause in case.pauses.all()]


def read_clock(case: ClockedCase, now: datetime | None = None) -> ClockReading:
    """Where the case stands against its limit."""
    return reading(case.started_at, case.time_limit(), pauses_of(case), now=now)


def refresh_deadline(case: ClockedCase) -> None:
    """The deadline again from the clock (after a resumption or a restart)."""
    case.deadline = read_clock(case).deadline
    case.save(update_fields=["deadline"])


def open_pause(case: ClockedCase) -> models.Model | None:
    return case.pauses.filter(ended_at__isnull=True).first()


def pause(case: ClockedCase, **fields: Any) -> models.Model:
    """Stop the clock (`fields`: the concrete pause's own, e.g. its reason); the deadline is
    unknown until it resumes. The caller checks that no pause is open (a constraint says so
    too)."""
    stopped = case.pauses.create(**fields)
    if case.deadline is not None:
        case.deadline = None
        case.save(update_fields=["deadline"])
    return stopped


def close_pause(case: ClockedCase) -> None:
    """End the open pause, if any, leaving the deadline to the caller (a decided case has
    none to compute)."""
    case.pauses.filter(ended_at__isnull=True).update(ended_at=timezone.now())


def resume(case: ClockedCase) -> None:
    """Start the clock again: the deadline moves by the office time spent paused."""
    close_pause(case)
    refresh_deadline(case)


def post_message(case: ClockedCase, *, author: Any, kind: str, body: str) -> models.Model:
    """One message in the case's thread."""
    return case.messages.create(author=author, kind=kind, body=body)
