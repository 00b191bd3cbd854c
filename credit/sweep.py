"""The daily sweep (beat, once a day; idempotent): records and list entries past their term
end, every grade is recomputed, and the list rules are applied to every candidate."""

from __future__ import annotations

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
    counting), and the list rules are applied to every candidate."""
    today = today or timezone.localdate()
    expired_records = expire_records(today)
    with transaction.atomic():
        expired_entries = expire_entries(today)
        forget_cached_facts(expired_entries)
    grades = recompute_all(today=today, cause="daily")
    forget_cached_facts(grades.letter_changed_ids, facts=["credit.grade"])
    lists = apply_rules_in_chunks(sorted(candidate_ids(today)), today=today, cause="daily",
                                  chunk_size=chunk_size)  # fmt: skip
    return {"day": today.isoformat(), "records_expired": len(expired_records),
            "entries_expired": len(expired_entries), "grades": grades.as_json(),
            **lists}  # fmt: skip
