"""Refreshing the extracts: a department's whole extract (logged as one call, the changed
enterprises or persons signalled on commit), or some rows learnt one at a time
(`refresh_rows`); each under the department's extract lock."""

import time
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from departments.models import Department
from qinqing.transitions import move

from ..models import CallOutcome, DataCall, SnapshotRefresh, Subject
from ..signals import send_facts_changed
from .merging import apply_extract
from .subjects import (
    ENTERPRISES,
    PERSONS,
    ExtractSubject,
    latest_refreshes,
    person_extract_departments,
)


def refresh_extract(
    department: str, *, purpose: str, requested_by: Any = None, as_of: date | None = None
) -> SnapshotRefresh:
    """Bring one department's enterprise extract up to date with the department's new one.
    Logged as one call with its purpose; exactly the enterprises whose facts changed are
    signalled on commit."""
    return _refresh(ENTERPRISES, department, purpose=purpose, requested_by=requested_by,
                    as_of=as_of)  # fmt: skip


def refresh_person_extract(
    department: str, *, purpose: str, requested_by: Any = None, as_of: date | None = None
) -> SnapshotRefresh:
    """Bring one department's person extract up to date: its person facts for every
    person in the register, logged as one call with its purpose (naming no person)."""
    return _refresh(PERSONS, department, purpose=purpose, requested_by=requested_by,
                    as_of=as_of)  # fmt: skip


def refresh_person_extracts(
    *, purpose: str, requested_by: Any = None, as_of: date | None = None
) -> list[SnapshotRefresh]:
    """Every department's person extract, one after the other."""
    return [refresh_person_extract(code, purpose=purpose, requested_by=requested_by,
                                   as_of=as_of)
            for code in person_extract_departments()]  # fmt: skip


def refresh_subject(
    subject: str, department: str, *, purpose: str, requested_by: Any = None,
    as_of: date | None = None,
) -> SnapshotRefresh:  # fmt: skip
    """refresh_extract or refresh_person_extract by the subject's name (tasks, commands)."""
    chosen = PERSONS if subject == Subject.PERSON else ENTERPRISES
    return _refresh(chosen, department, purpose=purpose, requested_by=requested_by, as_of=as_of)


def _refresh(subject: ExtractSubject, department: str, *, purpose: str, requested_by: Any,
             as_of: date | None) -> SnapshotRefresh:  # fmt: skip
    if not purpose.strip():
        raise ValueError("a purpose is required to read department data")
    specs = subject.facts(department)
    if not specs:
        raise ValueError(f"no bulk extract of {subject.code} facts for department {department!r}")
    as_of = as_of or timezone.localdate()
    department_row = Department.objects.get(code=department)
    started_at, started = timezone.now(), time.perf_counter()
    refresh = SnapshotRefresh.objects.create(
        department=department_row, subject=subject.code,
        fact_names=[spec.name for spec in specs], as_of=as_of,
        status=SnapshotRefresh.Status.RUNNING, started_at=started_at, purpose=purpose[:200],
    )  # fmt: skip
    try:
        # One transaction, the department's extract locked throughout (against refresh_rows
        # and another refresh): readers see the old extract or the new one, and nothing
        # learnt one row at a time while the department's extract was read is lost.
        with transaction.atomic():
            lock_extract(department_row.pk, subject)
            ids, register = subject.register(None)
            columns = subject.columns(department, specs, ids, register, as_of)
            del register  # a person's identity numbers live no longer than needed
            changed_ids, changed_facts = apply_extract(subject, department, specs, ids,
                                                       columns, as_of, whole=True)  # fmt: skip
    except Exception as error:
        with transaction.atomic():
            move(refresh, SnapshotRefresh.Status.FAILED, finished_at=timezone.now(),
                 detail=f"{type(error).__name__}: {error}"[:300])  # fmt: skip
        raise
    seconds = time.perf_counter() - started
    with transaction.atomic():
        move(refresh, SnapshotRefresh.Status.DONE, rows=len(ids), finished_at=timezone.now(),
             seconds=round(seconds, 3))  # fmt: skip
    is_user = requested_by is not None and getattr(requested_by, "is_authenticated", False)
    DataCall.objects.create(
        department=department_row, interface=f"{specs[0].interface} (bulk extract)",
        enterprise=None, person=None, fact_names=refresh.fact_names, purpose=purpose[:200],
        requested_by=requested_by if is_user else None,
        requested_by_label=requested_by.get_username() if is_user else "system",
        transport="extract", started_at=started_at, latency_ms=round(seconds * 1000, 1),
        outcome=CallOutcome.OK, rows=len(ids),
    )  # fmt: skip
    refresh.refresh_from_db()
    if changed_ids and subject is ENTERPRISES:
        transaction.on_commit(lambda: send_facts_changed(changed_ids, changed_facts, "extract"))
    elif changed_ids:
        transaction.on_commit(lambda: send_facts_changed([], changed_facts, "extract",
                                                         person_ids=changed_ids))  # fmt: skip
    return refresh


def lock_extract(department_pk: int, subject: ExtractSubject = ENTERPRISES) -> None:
    """Hold the department's extract until the transaction ends: a full refresh and
    `refresh_rows` wait for each other. A transaction-level advisory lock (PostgreSQL):
    released at commit or rollback, so it is safe behind PgBouncer in transaction mode.
    SQLite takes one writer at a time anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [subject.lock_class, department_pk]
            )


def refresh_rows(
    subject_ids: list[int], facts: Iterable[str] = (), as_of: date | None = None,
    subject: ExtractSubject = ENTERPRISES,
) -> list[str]:  # fmt: skip
    """Bring these enterprises' rows of the extracts (or these persons' rows of the person
    extracts, with `subject=PERSONS`) up to date — those carrying any of `facts`, every
    extract of the subject when none is named — set-based and incremental as a full
    refresh is: their new rows staged, compared, and only those that differ written; the
    rows of those no longer in the register removed. Each department's extract is locked
    against a full refresh meanwhile. For a change learnt one enterprise or person at a
    time (a new one in the register, an answer, a correction: the re-evaluation it feeds
    is told by its sender, so nothing is signalled here). Returns the departments
    refreshed."""
    if not subject_ids:
        return []
    wanted = set(facts)
    as_of = as_of or timezone.localdate()
    latest = latest_refreshes(subject)
    ids_sorted = sorted({int(pk) for pk in subject_ids})
    quote = connection.ops.quote_name
    done: list[str] = []
    for department, refresh in latest.items():
        names = set(refresh.fact_names)
        if wanted and not names & wanted:
            continue
        specs = [subject.catalogue[name] for name in sorted(names) if name in subject.catalogue]
        with transaction.atomic():
            lock_extract(refresh.department.pk, subject)
            register_ids, register = subject.register(ids_sorted)
            if len(register_ids):
                columns = subject.columns(department, specs, register_ids, register, as_of)
                apply_extract(subject, department, specs, register_ids, columns, as_of,
                              whole=False)  # fmt: skip
            del register  # a person's identity numbers live no longer than needed
            gone = sorted(set(ids_sorted) - set(register_ids.tolist()))
            with connection.cursor() as cursor:
                for begin in range(0, len(gone), 500):
                    part = gone[begin : begin + 500]
                    marks = ", ".join(["%s"] * len(part))
                    cursor.execute(
                        f"DELETE FROM {quote(subject.table(department))} "  # noqa: S608
                        f"WHERE {subject.key} IN ({marks})", part,
                    )  # fmt: skip
        done.append(department)
    return done
