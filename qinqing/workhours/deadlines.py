"""The deadline sweep both clocked apps run (approval items, enterprise requests): warn at
80 % of the limit, escalate once it is exceeded, each at most once per row.

The rows carry `warned_at` and `escalated_at`; each step is claimed with a conditional
UPDATE on them, so two sweeps running at once still send one warning and one escalation.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

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
