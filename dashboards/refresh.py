"""Rebuild the dashboards' tallies from the other apps' tables.

Each section's subjects are built by its module in `dashboards.tallies`; this module runs
them all, then sums the city-wide rollups. The whole rebuild is one transaction: a page
reads either the old figures or the new ones, never half of each.
"""

import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Sum, Value
from django.utils import timezone

from .models import Refresh, Tally
from .tallies import approvals, credit, department_data, funds, requests
from .tallies.writing import columns_of, grouped, insert_select

SUBJECTS: dict[str, Callable[[], int]] = {
    "claims": funds.refresh_claims,
    "payments": funds.refresh_payments,
    "claim_to_cash": funds.refresh_claim_to_cash,
    "served": funds.refresh_served,
    "budgets": funds.refresh_budgets,
    "items": approvals.refresh_items,
    "item_hours": approvals.refresh_item_hours,
    "commitments": credit.refresh_commitments,
    "grades": credit.refresh_grades,
    "inspections": credit.refresh_inspections,
    "requests": requests.refresh_requests,
    "data_calls": department_data.refresh_data_calls,
}


def build_rollups() -> int:
    """The city-wide grain (summed over districts and industries), from the full-grain rows
    just built: what an unfiltered page reads. A page filtered by district or industry
    reads the full grain through its index, a fourteenth or a twentieth of it."""
    full = Tally.objects.filter(grain="di")
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


def refresh_all() -> dict[str, float] | None:
    """Rebuild every tally; returns the seconds each subject took, or None when another
    rebuild was already running (its figures will be as fresh)."""
    run = Refresh(started_at=timezone.now())
    seconds: dict[str, float] = {}
    rows = 0
    with transaction.atomic():
        if not _only_rebuild():
            return None
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # the GROUP BYs sort in memory, not on disk
                cursor.execute("SET LOCAL work_mem = '256MB'")
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
