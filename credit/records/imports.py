"""Records from the departments in bulk: the tax authority's annual credit grades
(A/B/M/C/D, kept on their own scale), read from the hub's bulk extract of the taxation
department — the same data, logged the same way, as a single fact fetch would give.

Set-based: the new grades are compared with the grades in effect, only changes are
written (the older grade superseded, the new record inserted with COPY on PostgreSQL, an
audit row for each), and the grades and lists of the enterprises concerned are then
recomputed. Idempotent: a rerun on the same extract writes nothing.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from datahub.extracts.reading import read_snapshot
from departments.models import Department
from qinqing.audit.services import record_event, record_rows
from qinqing.bulk import bulk_insert
from qinqing.iterables import chunked
from qinqing.transitions import move_many

from ..grades.services import recompute_all
from ..hub import forget_cached_facts
from ..lists.services import apply_rules_in_chunks, candidate_ids
from .events import records_added
from .models import CreditRecord, RecordKind, RecordStatus, Severity, publicity_window

TAX_FACT = "tax.credit_grade"
TAX_PUBLICITY_MONTHS = 12


def import_tax_grades(*, actor: Any = None, chunk_size: int = 50_000) -> dict[str, Any]:
    """Import the latest tax grades from the taxation extract (SnapshotMissing without
    one). Returns counts and seconds."""
    started = time.perf_counter()
    snapshot = read_snapshot([TAX_FACT])
    day: date = snapshot.as_of or timezone.localdate()
    known = snapshot.known[TAX_FACT]
    ids = snapshot.enterprise_ids[known]
    grades = snapshot.columns[TAX_FACT][known]
    current = {
        enterprise_id: (pk, grade)
        for pk, enterprise_id, grade in CreditRecord.objects.filter(
            kind=RecordKind.TAX_GRADE, status=RecordStatus.ACTIVE
        ).order_by().values_list("pk", "enterprise_id", "tax_grade")
    }  # fmt: skip
    same = np.fromiter((current.get(i, (0, ""))[1] == g
                        for i, g in zip(ids.tolist(), grades.tolist(), strict=True)),
                       dtype=bool, count=len(ids))  # fmt: skip
    ids, grades = ids[~same], grades[~same]
    taxation = Department.objects.get(code="taxation")
    months, public_until, expires_on = publicity_window(Severity.GENERAL, day,
                                                        TAX_PUBLICITY_MONTHS)  # fmt: skip
    created = superseded = 0
    for chunk in chunked(range(len(ids)), chunk_size):
        chunk_ids = ids[list(chunk)].tolist()
        chunk_grades = grades[list(chunk)].tolist()
        with transaction.atomic():
            old = move_many(
                CreditRecord, [current[i][0] for i in chunk_ids if i in current],
                RecordStatus.SUPERSEDED, actor=actor,
                labels={current[i][0]: f"tax grade {current[i][0]}" for i in chunk_ids
                        if i in current},
            )  # fmt: skip
            records = [
                CreditRecord(
                    enterprise_id=enterprise_id, kind=RecordKind.TAX_GRADE,
                    severity=Severity.GENERAL, tax_grade=grade, department=taxation,
                    title=f"纳税信用等级 {grade}", occurred_on=day, publicity_months=months,
                    public_until=public_until, expires_on=expires_on,
                    status=RecordStatus.ACTIVE, score_key=f"{RecordKind.TAX_GRADE}:{grade}",
                )
                for enterprise_id, grade in zip(chunk_ids, chunk_grades, strict=True)
            ]  # fmt: skip
            bulk_insert(records)
            records_added(records, taxation.code)  # partners' outbox rows, one insert
            record_rows(actor=actor, model=CreditRecord, events=[
                *(("credit.record_added", record.pk, f"tax grade {record.tax_grade}", None,
                   {"kind": RecordKind.TAX_GRADE, "tax_grade": record.tax_grade,
                    "enterprise": record.enterprise_id, "occurred_on": day.isoformat()})
                  for record in records),
            ])  # fmt: skip
        created += len(records)
        superseded += len(old)
    imported = time.perf_counter() - started
    # Many: everyone at once (set-based, unchanged grades are not written) beats long lists.
    concerned_ids = ids.tolist() if len(ids) <= 20_000 else None
    grades_result = recompute_all(enterprise_ids=concerned_ids, cause="tax grades imported",
                                  actor=actor)  # fmt: skip
    forget_cached_facts(grades_result.letter_changed_ids, facts=["credit.grade"])
    # The rules for those the new grades may concern (candidates among them), not everyone.
    concerned = candidate_ids(timezone.localdate()) & set(ids.tolist())
    lists = apply_rules_in_chunks(sorted(concerned), cause="tax grades imported")
    summary = {"as_of": day.isoformat(), "records_created": created,
               "records_superseded": superseded, "unchanged": int(same.sum()),
               "import_seconds": round(imported, 3), "grades": grades_result.as_json(),
               **lists, "seconds": round(time.perf_counter() - started, 3)}  # fmt: skip
    record_event(actor=actor, action="credit.tax_grades_imported", obj=taxation, after=summary)
    return summary
