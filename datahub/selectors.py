"""Reading the call log, always through a scope."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.core.cache import cache
from django.db import connection
from django.db.models import Aggregate, Count, FloatField, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from departments.models import Department
from enterprises.models import Enterprise
from qinqing.scoping import is_member, rule_for, visible_to

from .models import CallOutcome, DataCall, SnapshotRefresh, Subject
from .purposes import describe, reads_for

FAILED_OUTCOMES = [CallOutcome.TIMEOUT, CallOutcome.UNAVAILABLE, CallOutcome.MALFORMED,
                   CallOutcome.CIRCUIT_OPEN]  # fmt: skip


def data_calls_visible_to(user: User) -> QuerySet[DataCall]:
    """Members: reads of their enterprises' data. Officials: calls to their department (in
    their district, when district-scoped) and calls they made. Auditors: everything
    (`DataCall.reach`, applied by qinqing.scoping)."""
    return visible_to(
        user, DataCall.objects.select_related("department", "enterprise", "person", "requested_by")
    )


def reads_of_enterprise(user: User, enterprise: Enterprise) -> tuple["MergedReads", dict[int, str]]:
    """What the enterprise's "who read our data" lists: the calls about it the user may
    see, and the extracts of every enterprise that batch runs read before paying this one
    (with why, from datahub.purposes.reads_for), newest first, for the paginator."""
    if is_member(user, enterprise.pk) or rule_for(user, DataCall.reach) is None:
        # Every call about the enterprise is theirs to see: read by the enterprise's index
        # alone (the members' scoping rule would test each row's key against a subquery).
        own = DataCall.objects.select_related("department", "enterprise", "requested_by").filter(
            enterprise=enterprise
        )
    else:
        own = data_calls_visible_to(user).filter(enterprise=enterprise)
    on_behalf = reads_for(enterprise)
    extracts = DataCall.objects.select_related("department", "enterprise", "requested_by").filter(
        pk__in=list(on_behalf)
    ).exclude(enterprise=enterprise)  # fmt: skip
    return MergedReads(own, extracts), on_behalf


class MergedReads:
    """Two sets of calls listed as one, newest first, each read by its own index (the
    enterprise's calls by (enterprise, time), the extracts read for it by key): a page
    takes the newest rows of each and merges them. One query with `pk IN (…) OR pk IN
    (…)` walked the whole log backwards by time instead, testing every row. Sliced and
    counted as a queryset is, for the paginator; the two sets never share a row."""

    ordered = True

    def __init__(self, *parts: QuerySet[DataCall]) -> None:
        self.parts = [part.order_by("-started_at", "-pk") for part in parts]

    def count(self) -> int:
        return sum(part.count() for part in self.parts)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list[DataCall]:
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("MergedReads takes slices")
        start, stop = key.start or 0, key.stop
        if stop is None or start < 0 or stop < 0:
            raise TypeError("MergedReads takes bounded slices")
        rows = [row for part in self.parts for row in part[:stop]]
        rows.sort(key=lambda call: (call.started_at, call.pk), reverse=True)
        return rows[start:stop]


# The officials' call log counts its rows only this far: past it the page says "more than
# …" and offers the filters. A count of everything grows with the log (a province's log
# holds hundreds of millions of rows), this one never reads more than LIMIT + 1 of them.
COUNT_LIMIT = 2_000


class CappedCount:
    """A queryset for the paginator whose count stops at COUNT_LIMIT (`more` then says
    there were more): the pages past it are reached by filtering, not by paging."""

    ordered = True

    def __init__(self, queryset: QuerySet[DataCall], limit: int | None = None) -> None:
        self.queryset = queryset
        self.limit = COUNT_LIMIT if limit is None else limit
        self._count: int | None = None
        self.more = False

    def count(self) -> int:
        if self._count is None:
            found = self.queryset.order_by()[: self.limit + 1].count()
            self.more = found > self.limit
            self._count = min(found, self.limit)
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> QuerySet[DataCall]:
        return self.queryset[key]


def with_purposes(calls: Iterable[DataCall], known: dict[int, str] | None = None) -> list[DataCall]:
    """The calls with `purpose_text`: their purpose in words (datahub.purposes)."""
    calls = list(calls)
    words = describe(call.purpose for call in calls)
    for call in calls:
        call.purpose_text = (known or {}).get(call.pk) or words.get(call.purpose, call.purpose)
    return calls


@dataclass(frozen=True)
class DepartmentStats:
    department: Department
    calls: int
    failed: int
    p50_ms: float | None
    p95_ms: float | None

    @property
    def error_rate(self) -> float:
        return self.failed / self.calls if self.calls else 0.0


class _Percentile(Aggregate):
    """PostgreSQL's percentile_cont(fraction) WITHIN GROUP (ORDER BY …)."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: str, fraction: float, **extra) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


# How long the call log's per-department figures are kept: they describe a week, so a
# minute's delay changes nothing an official reads in them, and an official paging and
# filtering the log no longer aggregates the department's week at every click. 0: never
# kept, nor read.
STATS_SECONDS = 60

# (department id, calls, failed, p50, p95): what is cached, numbers only, so that the
# department's name is read, in the reader's language, at each page.
Figures = tuple[int, int, int, float | None, float | None]


def department_stats(calls: QuerySet[DataCall], *, days: int = 7) -> list[DepartmentStats]:
    """Calls, error rate and p50/p95 latency of real calls (not cache hits) per department,
    over the last `days`, as the rows of `calls` (a user's scoped log) give them; kept
    STATS_SECONDS in the cache under the scope itself (`_figures_key`), so nobody is ever
    shown figures of rows outside their own scope."""
    key = _figures_key(calls, days)
    figures: list[Figures] | None = cache.get(key) if STATS_SECONDS > 0 else None
    if figures is None:
        figures = _figures(calls, days)
        cache.set(key, figures, STATS_SECONDS)
    departments = Department.objects.in_bulk([row[0] for row in figures])
    stats = [DepartmentStats(departments[department_id], *numbers)
             for department_id, *numbers in figures if department_id in departments]  # fmt: skip
    return sorted(stats, key=lambda s: s.department.sort_order)


def _figures_key(calls: QuerySet[DataCall], days: int) -> str:
    """The cache key of `calls`' figures: a hash of the scoped query's SQL and parameters.
    The scope is in them (the department, the district, the user's own calls: whatever
    qinqing.scoping made of the user), so two users share figures exactly when they see the
    same rows (every auditor; never two departments, never one official's own calls)."""
    sql, params = calls.order_by().values("pk").query.sql_with_params()
    scope = hashlib.sha256(repr((connection.vendor, sql, params, days)).encode()).hexdigest()
    return f"datahub:call-figures:{scope}"


def _figures(calls: QuerySet[DataCall], days: int) -> list[Figures]:
    """One GROUP BY over the months the window spans (the log is partitioned by month),
    percentiles included, on PostgreSQL; SQLite has no percentile aggregate, and there the
    latencies are read (the embedded default's log is small)."""
    since = timezone.now() - timedelta(days=days)
    recent = calls.filter(started_at__gte=since).exclude(
        outcome__in=[CallOutcome.CACHED, CallOutcome.NO_PROVIDER]
    )
    answered = Q(outcome=CallOutcome.OK)
    aggregates = {
        "calls": Count("id"),
        "failed": Count("id", filter=Q(outcome__in=FAILED_OUTCOMES)),
    }
    if connection.vendor == "postgresql":
        aggregates |= {"p50": _Percentile("latency_ms", 0.5, filter=answered),
                       "p95": _Percentile("latency_ms", 0.95, filter=answered)}  # fmt: skip
    counts = {
        row["department"]: row
        for row in recent.order_by().values("department").annotate(**aggregates)
    }
    if connection.vendor != "postgresql":
        latencies: dict[int, list[float]] = {}
        rows = recent.filter(answered).order_by().values_list("department", "latency_ms")
        for department_id, latency in rows:
            latencies.setdefault(department_id, []).append(latency)
        for department_id, row in counts.items():
            values = latencies.get(department_id)
            row["p50"], row["p95"] = (np.percentile(values, [50, 95]).tolist() if values
                                      else (None, None))  # fmt: skip
    return [(department_id, row["calls"], row["failed"], row["p50"], row["p95"])
            for department_id, row in counts.items()]  # fmt: skip


def latest_refreshes(subject: str = Subject.ENTERPRISE) -> dict[str, SnapshotRefresh]:
    """Each department's latest finished extract of `subject` (enterprises by default)."""
    done = SnapshotRefresh.objects.filter(
        status=SnapshotRefresh.Status.DONE, subject=subject
    ).select_related("department")
    latest: dict[str, SnapshotRefresh] = {}
    for refresh in done.order_by("started_at"):
        latest[refresh.department.code] = refresh
    return latest
