"""Writing events into the outbox, in the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from qinqing.bulk import bulk_insert

from .models import OutboxEvent
from .registry import EVENT_TYPES
from .signals import events_emitted


@dataclass(frozen=True)
class Event:
    """An event not yet written: for `emit_many`."""

    event_type: str
    payload: Mapping[str, Any]
    subject: str = ""
    enterprise_id: int | None = None
    department_id: int | None = None
    district_id: int | None = None


def _row(event: Event, now) -> OutboxEvent:
    if event.event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event.event_type!r}")
    return OutboxEvent(
        event_type=event.event_type,
        occurred_at=now,
        subject=event.subject[:100],
        # Decimals, dates and lazy strings as JSON text now: the row is what partners get.
        payload=json.loads(json.dumps(dict(event.payload), cls=DjangoJSONEncoder)),
        enterprise_id=event.enterprise_id,
        department_id=event.department_id,
        district_id=event.district_id,
    )


def emit(event_type: str, payload: Mapping[str, Any], *, enterprise_id: int | None = None,
         department_id: int | None = None, district_id: int | None = None,
         subject: str = "") -> OutboxEvent:  # fmt: skip
    """Record an event in the current transaction: it commits or rolls back with the state
    change beside it. Consumers are told after the commit."""
    row = _row(Event(event_type, payload, subject, enterprise_id, department_id, district_id),
               timezone.now())  # fmt: skip
    row.save(force_insert=True)
    _announce_on_commit()
    return row


def emit_many(events: Iterable[Event]) -> list[OutboxEvent]:
    """Many events in one statement (COPY on PostgreSQL): for set-based state changes."""
    now = timezone.now()
    rows = [_row(event, now) for event in events]
    if rows:
        bulk_insert(rows)
        _announce_on_commit()
    return rows


def _announce() -> None:
    events_emitted.send_robust(sender=OutboxEvent)


def _announce_on_commit() -> None:
    """One announcement per transaction, however many events it writes. (Should the
    savepoint that registered it roll back, the announcement goes with it; the beat sweep
    still finds the committed rows within a minute.)"""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        func is _announce for _ids, func, _robust in connection.run_on_commit
    ):
        return
    transaction.on_commit(_announce, robust=True)
