"""Reads, scoped by the one rule (qinqing.scoping, by Request.reach): an enterprise member
sees their enterprises' requests; an official the requests of their department (and
district); auditors and administrators everything; an inactive account, or an official of a
deactivated department, nothing."""

from __future__ import annotations

from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet

from accounts.models import User
from accounts.selectors import officials_of
from qinqing.scoping import visible_to

from .models import Request


def requests_for(user: Any) -> QuerySet[Request]:
    return visible_to(
        user,
        Request.objects.select_related(
            "enterprise",
            "category",
            "department",
            "district",
            "raised_by",
            "publication",
            "policy",
            "assignee",
        ),
    )


def colleagues_for(request: Request) -> QuerySet[User]:
    """The officials a request may be assigned to: active officials of its department who
    cover its district (the district's own and the city-wide ones)."""
    return officials_of(request.department_id, request.district_id).order_by(
        "display_name", "username"
    )


def department_stats(requests: QuerySet[Request] | None = None) -> list[dict[str, Any]]:
    """Per department and district: requests, answered, rated, the satisfaction rate
    (satisfied or basically satisfied among the rated) and the mean time to answer (wall
    clock hours), for the dashboards."""
    requests = Request.objects.all() if requests is None else requests
    rows = (
        requests.values("department__code", "district__code")
        .annotate(
            total=Count("pk"),
            answered=Count("pk", filter=Q(answered_at__isnull=False)),
            rated=Count("pk", filter=~Q(rating="")),
            satisfied=Count("pk", filter=Q(rating__in=["satisfied", "basically"])),
            mean_answer=Avg(
                ExpressionWrapper(F("answered_at") - F("created_at"), output_field=DurationField()),
                filter=Q(answered_at__isnull=False),
            ),
        )
        .order_by("department__code", "district__code")
    )
    return [
        {
            "department": row["department__code"],
            "district": row["district__code"],
            "total": row["total"],
            "answered": row["answered"],
            "rated": row["rated"],
            "satisfaction": row["satisfied"] / row["rated"] if row["rated"] else None,
            "mean_answer_hours": (
                row["mean_answer"].total_seconds() / 3600 if row["mean_answer"] else None
            ),
        }
        for row in rows
    ]
