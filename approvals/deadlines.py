"""An approval on commitment's verification date (`Item.verify_by`, and the commitment's
own) is counted once, in working days from the decision (services.commitments); loading a
missing year's holiday calendar counts it again for every item still awaiting its
verification (qinqing.workhours.services.DEADLINE_RECOMPUTERS, registered in
receivers.py). A verified or revoked item keeps its date; no status is written."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.db.models import QuerySet

from credit.commitments.models import Commitment
from credit.deadlines import CHUNK, write_deadlines
from qinqing.workhours.clock import TimeLimit, add_working_time

from .models import Item, ItemStatus

SUBJECT_PREFIX = "approvals.item:"  # a commitment's subject_ref (services.commitments)


def verify_by_of(decided_at: datetime, verify_within_days: int) -> datetime:
    """The verification date the item type's limit gives on today's calendar."""
    return add_working_time(decided_at, TimeLimit(verify_within_days, "days").seconds)


def awaiting_verification() -> QuerySet[Item]:
    return Item.objects.filter(status=ItemStatus.COMMITTED)


def recompute_verify_by(since: datetime) -> int:
    """Every item awaiting verification due on or after `since`, counted again."""
    running = (
        awaiting_verification()
        .filter(verify_by__gte=since, decided_at__isnull=False)
        .values_list("pk", "decided_at", "item_type__verify_within_days", "verify_by")
    )
    moved = {}
    for pk, decided_at, days, verify_by in running.iterator(chunk_size=CHUNK):
        now_due = verify_by_of(decided_at, days)
        if now_due != verify_by:
            moved[pk] = now_due
    return write_deadlines(awaiting_verification(), "verify_by", moved)


def commitment_deadlines(commitments: list[Commitment]) -> Mapping[int, datetime]:
    """credit.deadlines.COMMITMENT_DEADLINES for approval items: the date the item's
    (same) count gives, for the commitments whose item is known."""
    item_of: dict[int, int] = {}
    for commitment in commitments:
        ref = commitment.subject_ref
        if ref.startswith(SUBJECT_PREFIX) and ref[len(SUBJECT_PREFIX) :].isdigit():
            item_of[commitment.pk] = int(ref[len(SUBJECT_PREFIX) :])
    items = Item.objects.filter(pk__in=item_of.values(), decided_at__isnull=False)
    counted = {
        pk: verify_by_of(decided_at, days)
        for pk, decided_at, days in items.values_list(
            "pk", "decided_at", "item_type__verify_within_days"
        )
    }
    return {pk: counted[item] for pk, item in item_of.items() if item in counted}
