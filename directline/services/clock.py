"""A request's working-hours clock: its pauses and deadline."""

from __future__ import annotations

from datetime import datetime

from qinqing.workhours.clock import TimeLimit, reading

from ..models import (
    Request,
)


def request_pauses(request: Request) -> list[tuple[datetime, datetime | None]]:
    if request.pk is None:
        return []
    return [(pause.started_at, pause.ended_at) for pause in request.pauses.all()]


def request_clock(request: Request, now: datetime | None = None):
    """Where the request stands against its limit (a qinqing.workhours ClockReading)."""
    limit = TimeLimit(request.limit_hours, "hours")
    return reading(request.started_at, limit, request_pauses(request), now=now)


def refresh_deadline(request: Request) -> None:
    request.deadline = request_clock(request).deadline
    request.save(update_fields=["deadline"])
