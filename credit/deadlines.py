"""Credit's deadlines computed once with the working-hours clock, computed again when a
missing year's holiday calendar is loaded (qinqing.workhours.services.DEADLINE_RECOMPUTERS,
registered in receivers.py): an open commitment's verification date and an open draw's
result publication limit. A closed row (a commitment decided, a draw whose results are all
in) keeps the date it had; no status is written.

Credit does not know how long the app that made a commitment gave it (an approval item's
type says so): that app answers through `COMMITMENT_DEADLINES`, by subject kind. A
commitment whose maker registers nothing (a repair commitment: calendar days) keeps its
date.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from itertools import islice

from django.db.models import Case, DateTimeField, Exists, OuterRef, QuerySet, Value, When

from qinqing.registry import Registry
from qinqing.workhours.clock import add_working_time

from .commitments.models import Commitment, CommitmentStatus
from .inspections.models import InspectionDraw, InspectionSelection, ResultStatus
from .inspections.services import PUBLICATION_LIMIT

# subject kind -> answers, for the open commitments given, the verification date their
# maker's limit gives on today's calendar (by commitment id; those it does not know left out).
COMMITMENT_DEADLINES: Registry[Callable[[list[Commitment]], Mapping[int, datetime]]] = Registry(
    "commitment deadline"
)

OPEN_COMMITMENTS = (CommitmentStatus.MADE, CommitmentStatus.VERIFYING)
CHUNK = 500


def write_deadlines(rows: QuerySet, field: str, moved: Mapping[int, datetime]) -> int:
    """Set `field` to each row's new date, one UPDATE per chunk, and only on the rows
    `rows` still holds (open ones: a row closed meanwhile keeps its date). Answers the rows
    written."""
    written = 0
    pending = iter(moved.items())
    while chunk := list(islice(pending, CHUNK)):
        new_value = Case(
            *(When(pk=pk, then=Value(when)) for pk, when in chunk),
            output_field=DateTimeField(),
        )
        written += rows.filter(pk__in=[pk for pk, _when in chunk]).update(**{field: new_value})
    return written


def open_commitments() -> QuerySet[Commitment]:
    return Commitment.objects.filter(status__in=OPEN_COMMITMENTS)


def recompute_commitment_deadlines(since: datetime) -> int:
    """Every open commitment due on or after `since`, again by its maker's limit."""
    running = open_commitments().filter(verify_by__gte=since)
    moved: dict[int, datetime] = {}
    for kind in running.values_list("subject_kind", flat=True).distinct():
        compute = COMMITMENT_DEADLINES.get(kind)
        if compute is None:
            continue
        rows = list(running.filter(subject_kind=kind).only("pk", "subject_ref", "verify_by"))
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            now_due = compute(chunk)
            moved.update(
                (row.pk, now_due[row.pk])
                for row in chunk
                if row.pk in now_due and now_due[row.pk] != row.verify_by
            )
    return write_deadlines(open_commitments(), "verify_by", moved)


def open_draws() -> QuerySet[InspectionDraw]:
    """Draws with a result still awaited."""
    pending = InspectionSelection.objects.filter(draw=OuterRef("pk"), result=ResultStatus.PENDING)
    return InspectionDraw.objects.filter(Exists(pending))


def recompute_result_deadlines(since: datetime) -> int:
    """Every open draw's publication limit due on or after `since`, counted again from the
    draw (services.run_draw's limit)."""
    running = (
        open_draws().filter(results_due__gte=since).values_list("pk", "drawn_at", "results_due")
    )
    moved = {}
    for pk, drawn_at, results_due in running.iterator(chunk_size=CHUNK):
        now_due = add_working_time(drawn_at, PUBLICATION_LIMIT.seconds)
        if now_due != results_due:
            moved[pk] = now_due
    return write_deadlines(open_draws(), "results_due", moved)
