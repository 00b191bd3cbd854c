"""The daily sweep (beat, once a day; idempotent): records and list entries past their term
end, every grade is recomputed, and the list rules are applied to every candidate."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from .grades.services import recompute_all
from .hub import forget_cached_facts
from .lists.services import apply_rules_in_chunks, candidate_ids, expire_entries
from .records.services import expire_records


def daily_sweep(today: date | None = None, *, chunk_size: int = 2000) -> dict[str, Any]:
    """Beat, once a day; idempotent. Records and list entries past their term end, every
    grade is recomputed (a model version coming into force, records that stopped
    counting: set-based, chunk by chunk, writing only what changed), and the list rules
    are applied to every candidate. Returns counts, and the seconds of each step (where a
    day's sweep spends its time)."""
    today = today or timezone.localdate()
    clock = time.perf_counter()
    seconds: dict[str, float] = {}

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[step] = round(now - clock, 3)
        clock = now

    expired_records = expire_records(today)
    lap("records_expired")
    with transaction.atomic():
        expired_entries = expire_entries(today)
        forget_cached_facts(expired_entries)
    lap("entries_expired")
    grades = recompute_all(today=today, cause="daily")
    forget_cached_facts(grades.letter_changed_ids, facts=["credit.grade"])
    lap("grades")
    lists = apply_rules_in_chunks(sorted(candidate_ids(today)), today=today, cause="daily",
                                  chunk_size=chunk_size)  # fmt: skip
    lap("lists")
    return {"day": today.isoformat(), "records_expired": len(expired_records),
            "entries_expired": len(expired_entries), "grades": grades.as_json(),
            **lists, "step_seconds": seconds}  # fmt: skip
