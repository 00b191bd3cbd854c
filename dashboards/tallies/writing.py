"""The two ways a tally row is written.

Most subjects are one GROUP BY each, run by the database as INSERT … SELECT (`by_sql`), so
a million claims never travel to Python. Working-hours durations (approvals, requests) need
the holiday calendar, so those rows are read and counted here and written with the one bulk
writer (`counted_rows` + qinqing.bulk.bulk_insert). Either way every column has a value: a
row whose enterprise has no industry section yet (an enterprise still being established)
is counted under UNKNOWN_INDUSTRY, never NULL.
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Case,
    F,
    FloatField,
    Func,
    IntegerField,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Floor, Greatest, Ln, NullIf
from django.db.models.lookups import LessThan
from django.utils import timezone

from qinqing.iterables import chunked

from .. import histogram
from ..models import UNKNOWN_INDUSTRY, Tally


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


def industry_of(path: str) -> Coalesce:
    """The industry section at `path`, UNKNOWN_INDUSTRY where there is none: an
    establishment application has no enterprise until the licence is issued."""
    return Coalesce(NullIf(F(path), Value("")), Value(UNKNOWN_INDUSTRY))


def industry_or_unknown(section: str | None) -> str:
    """industry_of, for a row counted in Python."""
    return section or UNKNOWN_INDUSTRY


def year_of(column: str) -> str:
    """SQL for the first day of the year of a date column."""
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('year', {column}) AS date)"
    return f"date({column}, 'start of year')"


# --- INSERT … SELECT ------------------------------------------------------------------------


def insert_select(subject: str | None, rows: QuerySet, columns: dict[str, str]) -> int:
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


def grouped(queryset: QuerySet, dims: dict[str, object], measures: dict[str, object]):
    """values(dims).annotate(measures) with every column under an alias of its own, so
    the outer INSERT can pick them by name whatever order Django selects them in."""
    aliased = {f"t_{name}": expression for name, expression in dims.items()}
    return (
        queryset.order_by()
        .annotate(**aliased)
        .values(*aliased)
        .annotate(**{f"t_{name}": expression for name, expression in measures.items()})
    )


def columns_of(dims: dict[str, object], measures: dict[str, object]) -> dict[str, str]:
    return {name: f"t_{name}" for name in (*dims, *measures)}


def by_sql(subject: str, queryset: QuerySet, dims: dict, measures: dict) -> int:
    """One subject's tallies as one GROUP BY, written by the database."""
    return insert_select(subject, grouped(queryset, dims, measures), columns_of(dims, measures))


@dataclass(frozen=True)
class Grouped:
    """A subject that is one GROUP BY over one model's rows (`rows()`, `dims`, `measures`).
    The full rebuild writes it with `by_sql`; on PostgreSQL the same expressions, compiled
    once, become the triggers that keep it current between rebuilds (dashboards.deltas), so
    the two can never count differently. Measures are counts (`n`) and sums (`amount`):
    both add up, which is what lets a change be applied as a difference."""

    subject: str
    rows: Callable[[], QuerySet]
    dims: dict
    measures: dict

    def build(self) -> int:
        return by_sql(self.subject, self.rows(), self.dims, self.measures)

    def query(self) -> QuerySet:
        return grouped(self.rows(), self.dims, self.measures)


# --- Counted in Python ------------------------------------------------------------------------


def counted_rows(subject: str, counts: Counter) -> list[Tally]:
    """Rows built in Python, every column given (COPY does not apply database defaults)."""
    blank = {"grain": "di", "industry": UNKNOWN_INDUSTRY, "key": "", "amount": Decimal("0.00")}
    rows = [
        Tally(subject=subject, n=n, **{**blank, **dict(key_tuple)})
        for key_tuple, n in counts.items()
    ]
    rows.sort(key=lambda row: (row.district_id or 0, row.month or date.min))  # see _storage_order
    return rows


def month_of(moment: datetime) -> date:
    local = timezone.localtime(moment)
    return date(local.year, local.month, 1)


def pauses_by(model, owner: str, ids: Iterable[int]) -> dict[int, list]:  # type: ignore[no-untyped-def]
    """The pauses of each of `ids` (items or requests), as (start, end) pairs."""
    pauses: dict[int, list] = defaultdict(list)
    for chunk in chunked(list(ids), 5000):
        for owner_id, start, end in model.objects.filter(**{f"{owner}_id__in": chunk}).values_list(
            f"{owner}_id", "started_at", "ended_at"
        ):
            pauses[owner_id].append((start, end))
    return pauses
