"""Writing events into the outbox, in the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from qinqing import jsontext
from qinqing.bulk import RawJson, insert_values

from .models import OutboxEvent
from .registry import EVENT_TYPES, wanted_types
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
    now = timezone.now()
    row = _row(Event(event_type, payload, subject, enterprise_id, department_id, district_id),
               now)  # fmt: skip
    wanted = event_type in wanted_types()
    if not wanted:  # nobody listens for it: written handled (registry.CONSUMERS)
        row.dispatched_at = now
    row.save(force_insert=True)
    if wanted:
        _announce_on_commit()
    return row


def emit_many(events: Iterable[Event]) -> int:
    """Many events in one statement (COPY on PostgreSQL): for set-based state changes.
    Returns how many were written (see `emit_values`)."""
    return emit_values(
        (event.event_type, event.payload, event.subject, event.enterprise_id,
         event.department_id, event.district_id)
        for event in events
    )  # fmt: skip


# What `emit_values` takes, per event, in this order.
EVENT_FIELDS = ("event_type", "payload", "subject", "enterprise_id", "department_id",
                "district_id")  # fmt: skip


def emit_values(rows: Iterable[Sequence[Any]]) -> int:
    """The outbox's bulk writer: plain tuples of EVENT_FIELDS (a payload is a mapping),
    no model object per event. Every type is checked against the registry first; payloads
    are encoded once, to the JSON partners get (Decimals, dates, lazy strings as text);
    all stamped with one time and written with `qinqing.bulk.insert_values` (COPY on
    PostgreSQL, the sequence numbering them), those of types no consumer wants already
    handled. Consumers are told once, after the commit, if any event is for them.
    Returns how many were written."""
    values = []
    wanted: frozenset[str] | None = None
    now = timezone.now()
    announce = False
    for event_type, payload, subject, enterprise_id, department_id, district_id in rows:
        if event_type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event_type!r}")
        # An event nobody listens for is written handled (registry.CONSUMERS). The
        # consumers are asked only when there is an event (a move that emits none is
        # most of them).
        if wanted is None:
            wanted = wanted_types()
        handled = None if event_type in wanted else now
        announce = announce or handled is None
        values.append((event_type, RawJson(jsontext.dumps(dict(payload))), subject[:100],
                       enterprise_id, department_id, district_id, now, handled))  # fmt: skip
    if not values:
        return 0
    insert_values(OutboxEvent, (*EVENT_FIELDS, "occurred_at", "dispatched_at"), values,
                  keys=False)  # fmt: skip
    if announce:
        _announce_on_commit()
    return len(values)


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
