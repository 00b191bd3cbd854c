"""Rebuild the dashboards' tallies from the other apps' tables, or bring them current.

Each section's subjects are built by its module in `dashboards.tallies`; `refresh_all` runs
them all, then sums the city-wide rollups. The whole rebuild is one transaction: a page
reads either the old figures or the new ones, never half of each.

On PostgreSQL a rebuild is needed only for repair: `keep_current` (beat, every
DASHBOARD_REFRESH_MINUTES) applies the changes the triggers recorded since
(`dashboards.deltas`: claims, payments, data calls, commitments) and rebuilds only the
subjects no trigger can follow (the clock's: overdue items and requests, working hours,
inspections against their limit; grades, budgets; enterprises served when payments
changed), with a full rebuild once every REPAIR_HOURS. On SQLite (the embedded default)
there are no triggers and every tick is a full rebuild, as the demo's tables are small.
"""

import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Sum, Value
from django.utils import timezone

from . import deltas
from .models import Change, Refresh, Tally
from .tallies import approvals, credit, department_data, funds, requests
from .tallies.writing import columns_of, grouped, insert_select

SUBJECTS: dict[str, Callable[[], int]] = {
    "claims": funds.refresh_claims,
    "payments": funds.refresh_payments,
    "claim_to_cash": funds.refresh_claim_to_cash,
    "served": funds.refresh_served,
    "persons_paid": funds.refresh_persons_paid,
    "budgets": funds.refresh_budgets,
    "items": approvals.refresh_items,
    "item_hours": approvals.refresh_item_hours,
    "commitments": credit.refresh_commitments,
    "grades": credit.refresh_grades,
    "inspections": credit.refresh_inspections,
    "requests": requests.refresh_requests,
    "data_calls": department_data.refresh_data_calls,
}


# Rebuilt at every tick: what no trigger can follow. Enterprises served (distinct counts)
# only when payments changed.
CLOCKED = ("budgets", "items", "item_hours", "grades", "inspections", "requests")
REPAIR_HOURS = 24


def build_rollups(subjects: tuple[str, ...] | None = None) -> int:
    """The city-wide grain (summed over districts and industries), from the full-grain rows
    just built: what an unfiltered page reads. A page filtered by district or industry
    reads the full grain through its index, a fourteenth or a twentieth of it."""
    full = Tally.objects.filter(grain="di")
    if subjects is not None:
        full = full.filter(subject__in=_stored_subjects(subjects))
    names = ["subject", "month", "policy_id", "department_id", "category_id", "key", "bucket"]
    dims = {name: F(name) for name in names}
    dims["grain"] = Value("")
    measures = {"n": Sum("n"), "amount": Sum("amount")}
    return insert_select(None, grouped(full, dims, measures), columns_of(dims, measures))


REFRESH_LOCK = 0x7161_6461_7368  # "qdash": one rebuild at a time across all workers


def _only_rebuild() -> bool:
    """Whether this transaction may rebuild; False while another rebuild is running (on
    SQLite writers queue anyway, so there is nothing to check)."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [REFRESH_LOCK])
        return bool(cursor.fetchone()[0])


def _stored_subjects(names: tuple[str, ...]) -> list[str]:
    """The subjects a builder writes (items writes items and items_overdue…)."""
    also = {
        "items": ("items_overdue",),
        "requests": ("request_hours", "request_ratings"),
        "budgets": ("budget_total", "budget_reserved"),
        "data_calls": ("data_call_ms",),
    }
    return [stored for name in names for stored in (name, *also.get(name, ()))]


def refresh_all() -> dict[str, float] | None:
    """Rebuild every tally; returns the seconds each subject took, or None when another
    rebuild was already running (its figures will be as fresh)."""
    run = Refresh(started_at=timezone.now(), kind=Refresh.Kind.FULL)
    seconds: dict[str, float] = {}
    rows = 0
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            # One snapshot: the changes emptied from the log are exactly those the reads
            # count (a caller's transaction, a test's, keeps its own).
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        if not _only_rebuild():
            return None
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # the GROUP BYs sort in memory, not on disk
                cursor.execute("SET LOCAL work_mem = '256MB'")
        Change.objects.all().delete()  # counted by this rebuild's reads
        Tally.objects.all().delete()
        for name, build in SUBJECTS.items():
            began = time.perf_counter()
            rows += build()
            seconds[name] = round(time.perf_counter() - began, 3)
        began = time.perf_counter()
        rows += build_rollups()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # fresh statistics for the planner
                cursor.execute(f"ANALYZE {Tally._meta.db_table}")
        seconds["rollups"] = round(time.perf_counter() - began, 3)
        run.finished_at = timezone.now()
        run.seconds = seconds
        run.rows = rows
        run.save()
    _reclaim_replaced_rows()
    return seconds


def keep_current() -> dict[str, float] | None:
    """Beat's tick: on PostgreSQL, the recorded changes applied and the clock's subjects
    rebuilt (a full rebuild when there is none yet or the last is REPAIR_HOURS old);
    elsewhere a full rebuild. None when a rebuild was already running."""
    if connection.vendor != "postgresql":
        return refresh_all()
    last_full = Refresh.objects.filter(kind=Refresh.Kind.FULL, finished_at__isnull=False).first()
    if last_full is None or last_full.finished_at < timezone.now() - timedelta(hours=REPAIR_HOURS):
        return refresh_all()
    return refresh_changes()


def refresh_changes(clocked: tuple[str, ...] = CLOCKED) -> dict[str, float] | None:
    """The recorded changes applied (deltas.drain) and the `clocked` subjects rebuilt, in
    one transaction under the rebuild's lock. PostgreSQL only."""
    run = Refresh(started_at=timezone.now(), kind=Refresh.Kind.CHANGES)
    seconds: dict[str, float] = {}
    with transaction.atomic():
        if not _only_rebuild():
            return None
        began = time.perf_counter()
        rebuild = list(clocked)
        touched = deltas.drain().touched
        if "payments" in touched:
            rebuild += ["served", "persons_paid"]
        seconds["changes"] = round(time.perf_counter() - began, 3)
        rows = sum(touched.values())
        if rebuild:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '256MB'")
            Tally.objects.filter(subject__in=_stored_subjects(tuple(rebuild))).delete()
            for name in rebuild:
                began = time.perf_counter()
                rows += SUBJECTS[name]()
                seconds[name] = round(time.perf_counter() - began, 3)
            began = time.perf_counter()
            rows += build_rollups(tuple(rebuild))
            seconds["rollups"] = round(time.perf_counter() - began, 3)
        run.finished_at = timezone.now()
        run.seconds = seconds
        run.rows = rows
        run.save()
    return seconds


def apply_changes() -> deltas.Drained | None:
    """Only the recorded changes applied (what keeps claims, payments, data calls and
    commitments current), in one transaction under the rebuild's lock, recorded as a
    refresh so pages show the new figures. PostgreSQL only; None when a rebuild runs."""
    run = Refresh(started_at=timezone.now(), kind=Refresh.Kind.CHANGES)
    with transaction.atomic():
        if not _only_rebuild():
            return None
        began = time.perf_counter()
        drained = deltas.drain()
        run.seconds = {"changes": round(time.perf_counter() - began, 3)}
        run.rows = len(drained.ids)
        run.finished_at = timezone.now()
        run.save()
    return drained


def differences(subjects: tuple[str, ...] | None = None) -> list[tuple]:
    """The tally rows on which the kept figures and a fresh rebuild disagree, as (side,
    row…) with side "kept" or "rebuilt"; empty when they agree. The recorded changes are
    applied first; nothing is kept (the comparison rolls back). Subjects: the incremental
    ones unless given."""
    names = subjects or tuple(spec.subject for spec in deltas.INCREMENTAL)
    found: list[tuple] = []
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # no change lands between the two sides
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        if not _only_rebuild():
            raise RuntimeError("a rebuild is running; compare after it")
        deltas.drain()
        kept = Tally.objects.filter(subject__in=names)
        before = {tuple(row) for row in kept.values_list(*deltas.KEY, "n", "amount")}
        kept.delete()
        for spec in deltas.INCREMENTAL:
            if spec.subject in names:
                spec.build()
        build_rollups(names)
        after = {tuple(row) for row in kept.values_list(*deltas.KEY, "n", "amount")}
        found = [("kept", *row) for row in before - after]
        found += [("rebuilt", *row) for row in after - before]
        transaction.set_rollback(True)
    return sorted(found, key=repr)


def _reclaim_replaced_rows() -> None:
    """VACUUM the replaced rows now rather than when autovacuum comes: until then every
    index scan also walks the previous rebuild's dead rows, twice the pages. VACUUM cannot
    run inside a transaction, so a caller's open transaction (a test's) skips it."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {Tally._meta.db_table}")


def latest_refresh() -> Refresh | None:
    return Refresh.objects.filter(finished_at__isnull=False).first()


def fresh_refresh() -> Refresh | None:
    """The latest rebuild. In the embedded mode (no beat runs there) a stale or missing one
    is rebuilt first: the demo's small tables take well under a second."""
    latest = latest_refresh()
    if settings.CELERY_TASK_ALWAYS_EAGER:
        limit = timezone.now() - timedelta(minutes=settings.DASHBOARD_REFRESH_MINUTES)
        if latest is None or latest.finished_at < limit:
            refresh_all()
            latest = latest_refresh()
    return latest
