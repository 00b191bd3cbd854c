"""Rebuild the dashboards' tallies from the other apps' tables.

Most subjects are one GROUP BY each, run by the database as INSERT … SELECT, so a million
claims never travel to Python. Working-hours durations (approvals, requests) need the
holiday calendar, so those rows are read and bucketed here, a few hundred thousand at most.

The whole rebuild is one transaction: a page reads either the old figures or the new
ones, never half of each.
"""

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    DateField,
    F,
    FloatField,
    Func,
    IntegerField,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import (
    Cast,
    Coalesce,
    Floor,
    Greatest,
    Ln,
    TruncMonth,
)
from django.db.models.lookups import LessThan
from django.utils import timezone

from approvals.models import APPROVED_STATES, Item, ItemPause
from credit.commitments.models import Commitment
from credit.grades.models import CreditGrade
from credit.inspections.models import InspectionSelection, ResultStatus
from datahub.models import DataCall
from directline.models import Request, RequestPause
from qinqing.bulk import bulk_insert
from qinqing.iterables import chunked
from qinqing.workhours.clock import working_seconds
from subsidies.models import Budget, Claim, Disbursement, DisbursementStatus

from . import histogram
from .models import Refresh, Tally


class MillisecondsBetween(Func):
    """Milliseconds from the first timestamp to the second, in the database."""

    output_field = FloatField()
    arity = 2

    def as_postgresql(self, compiler, connection, **extra):  # type: ignore[no-untyped-def]
        start_sql, start_params = compiler.compile(self.source_expressions[0])
        end_sql, end_params = compiler.compile(self.source_expressions[1])
        sql = f"(EXTRACT(EPOCH FROM ({end_sql} - {start_sql})) * 1000.0)"
        return sql, (*end_params, *start_params)

    def as_sqlite(self, compiler, connection, **extra):  # type: ignore[no-untyped-def]
        start_sql, start_params = compiler.compile(self.source_expressions[0])
        end_sql, end_params = compiler.compile(self.source_expressions[1])
        sql = f"((julianday({end_sql}) - julianday({start_sql})) * 86400000.0)"
        return sql, (*end_params, *start_params)


def bucket_expression(value):  # type: ignore[no-untyped-def]
    """histogram.bucket_of, as a database expression (values below 1 fall in bucket 0)."""
    safe = Greatest(value, Value(1.0))  # LN of 0 or less is an error even in an unused branch
    return Case(
        When(LessThan(value, Value(1.0)), then=Value(0)),
        default=Cast(Floor(Ln(safe) / Value(histogram._LOG_RATIO)), IntegerField()) + Value(1),
        output_field=IntegerField(),
    )


def _insert_select(subject: str | None, rows: QuerySet, columns: dict[str, str]) -> int:
    """INSERT INTO tally … SELECT from `rows`, a values().annotate() queryset whose
    annotations are named in `columns` (tally column → annotation name). With no
    `subject`, the rows carry their own (the rollup)."""
    sql, params = rows.query.sql_with_params()
    table = Tally._meta.db_table
    names = ", ".join(columns)
    picked = ", ".join(f"q.{connection.ops.quote_name(alias)}" for alias in columns.values())
    if subject is not None:
        names, picked, params = f"subject, {names}", f"%s, {picked}", (subject, *params)
    with connection.cursor() as cursor:
        cursor.execute(
            # Table, column and alias names are this module's own; values travel as params.
            f"INSERT INTO {table} ({names}) SELECT {picked} FROM ({sql}) q"  # noqa: S608
            f"{_storage_order(columns)}",
            params,
        )
        return cursor.rowcount


def _storage_order(columns: dict[str, str]) -> str:
    """Rows written district by district: a district's page then reads a few contiguous
    pages of the table instead of one page per row."""
    keys = [alias for name, alias in columns.items() if name in ("district_id", "month")]
    if not keys:
        return ""
    return " ORDER BY " + ", ".join(f"q.{connection.ops.quote_name(alias)}" for alias in keys)


def _grouped(queryset: QuerySet, dims: dict[str, object], measures: dict[str, object]):
    """values(dims).annotate(measures) with every column under an alias of its own, so
    the outer INSERT can pick them by name whatever order Django selects them in."""
    aliased = {f"t_{name}": expression for name, expression in dims.items()}
    return (
        queryset.order_by()
        .annotate(**aliased)
        .values(*aliased)
        .annotate(**{f"t_{name}": expression for name, expression in measures.items()})
    )


def _columns(dims: dict[str, object], measures: dict[str, object]) -> dict[str, str]:
    return {name: f"t_{name}" for name in (*dims, *measures)}


def _by_sql(subject: str, queryset: QuerySet, dims: dict, measures: dict) -> int:
    return _insert_select(subject, _grouped(queryset, dims, measures), _columns(dims, measures))


# --- Subsidies ------------------------------------------------------------------------------


def refresh_claims() -> int:
    """Claims by the month they were made and their state now."""
    dims = {
        "month": TruncMonth("created_at", output_field=DateField()),
        "policy_id": F("policy_id"),
        "department_id": F("policy__department_id"),
        "district_id": F("enterprise__district_id"),
        "industry": F("enterprise__industry_section"),
        "key": F("status"),
    }
    return _by_sql("claims", Claim.objects.all(), dims, {"n": Count("id")})


def _paid() -> QuerySet:
    return Disbursement.objects.filter(status=DisbursementStatus.CONFIRMED)


_PAID_DIMS = {
    "policy_id": F("claim__policy_id"),
    "department_id": F("claim__policy__department_id"),
    "district_id": F("claim__enterprise__district_id"),
    "industry": F("claim__enterprise__industry_section"),
}


def refresh_payments() -> int:
    """Money paid (confirmed by the treasury), by the month it was confirmed."""
    dims = {"month": TruncMonth("confirmed_at", output_field=DateField()), **_PAID_DIMS}
    return _by_sql("payments", _paid(), dims, {"n": Count("id"), "amount": Sum("amount")})


def refresh_claim_to_cash() -> int:
    """Milliseconds from the claim (or the batch's offer) to the treasury's confirmation."""
    elapsed = MillisecondsBetween("claim__created_at", "confirmed_at")
    dims = {
        "month": TruncMonth("confirmed_at", output_field=DateField()),
        **_PAID_DIMS,
        "bucket": bucket_expression(elapsed),
    }
    return _by_sql("claim_to_cash", _paid(), dims, {"n": Count("id")})


# An enterprise paid by two policies, or in two months, is one enterprise served: distinct
# counts do not add up across policies or months, so they are counted for each period kind
# (all time, a year, a month) and each reach (all policies, a department's, one policy).
# They do add up across districts and industries, which an enterprise has one of each.
SERVED_REACH = {"city": (), "department": ("dep",), "policy": ("dep", "pol")}
_PAID_TEMP = "dashboards_paid_enterprises"


def _year_of(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('year', {column}) AS date)"
    return f"date({column}, 'start of year')"


def refresh_served() -> int:
    """Each paid enterprise once per month, policy, district and industry in a temporary
    table (one pass over the payments), then counted for each period kind and reach."""
    paid = (
        _paid()
        .order_by()
        .annotate(
            ent=F("claim__enterprise_id"),
            pol=F("claim__policy_id"),
            dep=F("claim__policy__department_id"),
            dis=F("claim__enterprise__district_id"),
            ind=F("claim__enterprise__industry_section"),
            mon=TruncMonth("confirmed_at", output_field=DateField()),
        )
        .values("ent", "pol", "dep", "dis", "ind", "mon")
        .distinct()
    )
    sql, params = paid.query.sql_with_params()
    table = Tally._meta.db_table
    rows = 0
    periods = {"all": None, "year": _year_of("mon"), "month": "mon"}
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_PAID_TEMP}")
        cursor.execute(f"CREATE TEMPORARY TABLE {_PAID_TEMP} AS {sql}", params)
        for period, month in periods.items():
            for reach in SERVED_REACH.values():
                groups = [expression for expression in (month, *reach) if expression]
                department = "dep" if "dep" in reach else "NULL"
                policy = "pol" if "pol" in reach else "NULL"
                cursor.execute(
                    f"INSERT INTO {table} (subject, grain, key, month, department_id,"  # noqa: S608
                    f" policy_id, district_id, industry, n)"
                    f" SELECT 'served', 'di', %s, {month or 'NULL'}, {department}, {policy},"
                    f" dis, ind, COUNT(DISTINCT ent) FROM {_PAID_TEMP}"
                    f" GROUP BY {', '.join([*groups, 'dis', 'ind'])}",
                    [period],
                )
                rows += cursor.rowcount
        cursor.execute(f"DROP TABLE {_PAID_TEMP}")
    return rows


def refresh_budgets() -> int:
    """What each policy was given and has set aside (paid comes from the payments rows)."""
    dims = {
        "policy_id": F("version__policy_id"),
        "department_id": F("version__policy__department_id"),
    }
    rows = _by_sql("budget_total", Budget.objects.all(), dims, {"amount": Sum("total")})
    return rows + _by_sql(
        "budget_reserved", Budget.objects.all(), dims, {"amount": Sum("reserved")}
    )


# --- Approvals ------------------------------------------------------------------------------


def refresh_items() -> int:
    """Items by the month their clock started, their state and their item type."""
    items = Item.objects.all()
    base = {
        "month": TruncMonth("started_at", output_field=DateField()),
        "department_id": F("department_id"),
        "district_id": Coalesce("district_id", "application__district_id"),
        "industry": F("application__enterprise__industry_section"),
        "category_id": F("item_type_id"),
    }
    rows = _by_sql("items", items, {**base, "key": F("status")}, {"n": Count("id")})
    overdue = items.filter(status__in=("pending", "supplement"), deadline__lt=timezone.now())
    return rows + _by_sql("items_overdue", overdue, base, {"n": Count("id")})


def _pauses_by(model, owner: str, ids: Iterable[int]) -> dict[int, list]:  # type: ignore[no-untyped-def]
    pauses: dict[int, list] = defaultdict(list)
    for chunk in chunked(list(ids), 5000):
        for owner_id, start, end in model.objects.filter(**{f"{owner}_id__in": chunk}).values_list(
            f"{owner}_id", "started_at", "ended_at"
        ):
            pauses[owner_id].append((start, end))
    return pauses


def _tally_rows(subject: str, counts: Counter) -> list[Tally]:
    """Rows built in Python, every column given (COPY does not apply database defaults)."""
    blank = {"grain": "di", "industry": "", "key": "", "amount": Decimal("0.00")}
    rows = [
        Tally(subject=subject, n=n, **{**blank, **dict(key_tuple)})
        for key_tuple, n in counts.items()
    ]
    rows.sort(key=lambda row: (row.district_id or 0, row.month or date.min))  # see _storage_order
    return rows


def _month(moment: datetime) -> date:
    local = timezone.localtime(moment)
    return date(local.year, local.month, 1)


def refresh_item_hours() -> int:
    """Working seconds from an item's clock start to its approval, pauses left out."""
    decided = list(
        Item.objects.filter(status__in=APPROVED_STATES, decided_at__isnull=False)
        .order_by()
        .values_list(
            "id",
            "started_at",
            "decided_at",
            "department_id",
            Coalesce("district_id", "application__district_id"),
            "application__enterprise__industry_section",
            "item_type_id",
        )
    )
    has_pauses = set(ItemPause.objects.values_list("item_id", flat=True).distinct())
    pauses = _pauses_by(ItemPause, "item", (row[0] for row in decided if row[0] in has_pauses))
    counts: Counter = Counter()
    for item_id, started, decided_at, department, district, industry, item_type in decided:
        seconds = working_seconds(started, decided_at, pauses.get(item_id, ()))
        counts[
            (
                ("month", _month(decided_at)),
                ("department_id", department),
                ("district_id", district),
                ("industry", industry or ""),
                ("category_id", item_type),
                ("bucket", histogram.bucket_of(seconds)),
            )
        ] += 1
    return len(bulk_insert(_tally_rows("item_hours", counts)))


# --- Credit ---------------------------------------------------------------------------------


def refresh_commitments() -> int:
    dims = {
        "month": TruncMonth("accepted_at", output_field=DateField()),
        "department_id": F("department_id"),
        "district_id": F("enterprise__district_id"),
        "industry": F("enterprise__industry_section"),
        "key": F("status"),
    }
    return _by_sql("commitments", Commitment.objects.all(), dims, {"n": Count("id")})


def refresh_grades() -> int:
    dims = {
        "district_id": F("enterprise__district_id"),
        "industry": F("enterprise__industry_section"),
        "key": F("grade"),
    }
    return _by_sql("grades", CreditGrade.objects.all(), dims, {"n": Count("id")})


def refresh_inspections() -> int:
    """Each drawn enterprise once, keyed by where its result stands against the 20-day
    publication limit: published on time, published late, outstanding, or overdue."""
    now = timezone.now()
    counts: Counter = Counter()
    selections = InspectionSelection.objects.order_by().values_list(
        "draw__drawn_at",
        "draw__campaign__department_id",
        "enterprise__district_id",
        "enterprise__industry_section",
        "result",
        "published_at",
        "draw__results_due",
    )
    for drawn_at, department, district, industry, result, published_at, due in selections.iterator(
        chunk_size=10_000
    ):
        if result != ResultStatus.PENDING and published_at is not None:
            standing = "on_time" if published_at <= due else "late"
        else:
            standing = "overdue" if now > due else "outstanding"
        counts[
            (
                ("month", _month(drawn_at)),
                ("department_id", department),
                ("district_id", district),
                ("industry", industry or ""),
                ("key", standing),
            )
        ] += 1
    return len(bulk_insert(_tally_rows("inspections", counts)))


# --- Direct line ----------------------------------------------------------------------------


def refresh_requests() -> int:
    """Requests by where they stand against their limit, the working time to the first
    answer (histogram), and the ratings given."""
    now = timezone.now()
    requests = list(
        Request.objects.order_by().values_list(
            "id",
            "created_at",
            "started_at",
            "limit_hours",
            "answered_at",
            "department_id",
            "district_id",
            "enterprise__industry_section",
            "rating",
        )
    )
    has_pauses = set(RequestPause.objects.values_list("request_id", flat=True).distinct())
    pauses = _pauses_by(RequestPause, "request", (r[0] for r in requests if r[0] in has_pauses))
    standing: Counter = Counter()
    hours: Counter = Counter()
    ratings: Counter = Counter()
    for (
        request_id,
        raised,
        started,
        limit_hours,
        answered_at,
        department,
        district,
        industry,
        rating,
    ) in requests:
        where = (
            ("month", _month(raised)),
            ("department_id", department),
            ("district_id", district),
            ("industry", industry or ""),
        )
        request_pauses = pauses.get(request_id, ())
        if answered_at is not None:
            seconds = working_seconds(started, answered_at, request_pauses)
            key = "on_time" if seconds <= limit_hours * 3600 else "late"
            hours[(*where, ("bucket", histogram.bucket_of(seconds)))] += 1
        else:
            seconds = working_seconds(started, now, request_pauses)
            key = "overdue" if seconds > limit_hours * 3600 else "open"
        standing[(*where, ("key", key))] += 1
        if rating:
            ratings[(*where, ("key", rating))] += 1
    rows = bulk_insert(_tally_rows("requests", standing))
    rows += bulk_insert(_tally_rows("request_hours", hours))
    rows += bulk_insert(_tally_rows("request_ratings", ratings))
    return len(rows)


# --- Data hub -------------------------------------------------------------------------------


def refresh_data_calls() -> int:
    calls = DataCall.objects.all()
    where = {
        "month": TruncMonth("started_at", output_field=DateField()),
        "department_id": F("department_id"),
        "district_id": F("enterprise__district_id"),
        "industry": Coalesce("enterprise__industry_section", Value("")),
    }
    rows = _by_sql("data_calls", calls, {**where, "key": F("outcome")}, {"n": Count("id")})
    latency = {**where, "bucket": bucket_expression(F("latency_ms"))}
    return rows + _by_sql("data_call_ms", calls, latency, {"n": Count("id")})


SUBJECTS: dict[str, Callable[[], int]] = {
    "claims": refresh_claims,
    "payments": refresh_payments,
    "claim_to_cash": refresh_claim_to_cash,
    "served": refresh_served,
    "budgets": refresh_budgets,
    "items": refresh_items,
    "item_hours": refresh_item_hours,
    "commitments": refresh_commitments,
    "grades": refresh_grades,
    "inspections": refresh_inspections,
    "requests": refresh_requests,
    "data_calls": refresh_data_calls,
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
    return _insert_select(None, _grouped(full, dims, measures), _columns(dims, measures))


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
