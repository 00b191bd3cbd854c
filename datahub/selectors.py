"""Reading the call log, always through a scope."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from departments.models import Department
from enterprises.models import Enterprise
from qinqing.scoping import visible_to

from .models import CallOutcome, DataCall, SnapshotRefresh
from .purposes import describe, reads_for

FAILED_OUTCOMES = [CallOutcome.TIMEOUT, CallOutcome.UNAVAILABLE, CallOutcome.MALFORMED,
                   CallOutcome.CIRCUIT_OPEN]  # fmt: skip


def data_calls_visible_to(user: User) -> QuerySet[DataCall]:
    """Members: reads of their enterprises' data. Officials: calls to their department (in
    their district, when district-scoped) and calls they made. Auditors: everything
    (`DataCall.reach`, applied by qinqing.scoping)."""
    return visible_to(
        user, DataCall.objects.select_related("department", "enterprise", "requested_by")
    )


def reads_of_enterprise(
    user: User, enterprise: Enterprise
) -> tuple[QuerySet[DataCall], dict[int, str]]:
    """What the enterprise's "who read our data" lists: the calls about it the user may
    see, and the extracts of every enterprise that batch runs read before paying this one
    (with why, from datahub.purposes.reads_for)."""
    own = data_calls_visible_to(user).filter(enterprise=enterprise)
    on_behalf = reads_for(enterprise)
    calls = DataCall.objects.select_related("department", "enterprise", "requested_by").filter(
        Q(pk__in=own.values("pk")) | Q(pk__in=list(on_behalf))
    )
    return calls, on_behalf


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


def department_stats(calls: QuerySet[DataCall], *, days: int = 7) -> list[DepartmentStats]:
    """Calls, error rate and p50/p95 latency of real calls (not cache hits) per department."""
    since = timezone.now() - timedelta(days=days)
    recent = calls.filter(started_at__gte=since).exclude(
        outcome__in=[CallOutcome.CACHED, CallOutcome.NO_PROVIDER]
    )
    counts = {
        row["department"]: row
        for row in recent.order_by()
        .values("department")
        .annotate(calls=Count("id"), failed=Count("id", filter=Q(outcome__in=FAILED_OUTCOMES)))
    }
    latencies: dict[int, list[float]] = {}
    answered = recent.filter(outcome=CallOutcome.OK).order_by()
    for department_id, latency in answered.values_list("department", "latency_ms").iterator():
        latencies.setdefault(department_id, []).append(latency)
    departments = Department.objects.in_bulk(list(counts))
    stats = []
    for department_id, row in counts.items():
        values = latencies.get(department_id)
        p50, p95 = np.percentile(values, [50, 95]).tolist() if values else (None, None)
        stats.append(DepartmentStats(departments[department_id], row["calls"], row["failed"],
                                     p50, p95))  # fmt: skip
    return sorted(stats, key=lambda s: s.department.sort_order)


def latest_refreshes() -> dict[str, SnapshotRefresh]:
    done = SnapshotRefresh.objects.filter(status=SnapshotRefresh.Status.DONE).select_related(
        "department"
    )
    latest: dict[str, SnapshotRefresh] = {}
    for refresh in done.order_by("started_at"):
        latest[refresh.department.code] = refresh
    return latest
