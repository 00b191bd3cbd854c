"""An item's working-hours clock: its limit, pauses and deadline."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from qinqing.workhours.clock import TimeLimit, reading

from ..models import (
    Item,
)


def item_limit(item: Item) -> TimeLimit:
    return TimeLimit(item.limit_amount, item.limit_unit)


def item_pauses(item: Item) -> list[tuple[datetime, datetime | None]]:
    if item.pk is None:  # not saved yet: no pauses
        return []
    return [(pause.started_at, pause.ended_at) for pause in item.pauses.all()]


def item_clock(item: Item, now: datetime | None = None):
    """Where the item stands against its limit (a qinqing.workhours ClockReading)."""
    return reading(item.started_at, item_limit(item), item_pauses(item), now=now)


def refresh_deadline(item: Item) -> None:
    item.deadline = item_clock(item).deadline
    item.save(update_fields=["deadline"])


def close_pause(item: Item) -> None:
    item.pauses.filter(ended_at__isnull=True).update(ended_at=timezone.now())
