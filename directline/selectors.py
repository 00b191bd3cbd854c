"""Reads, scoped: an enterprise member sees their enterprises' requests; an official the
requests of their department (and district); auditors and administrators everything."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.models import Role

from .models import Request


def requests_for(user: Any) -> QuerySet[Request]:
    requests = Request.objects.select_related(
        "enterprise", "category", "department", "district", "raised_by", "publication"
    )
    if not getattr(user, "is_authenticated", False):
        return requests.none()
    if user.sees_everything:
        return requests
    if user.role == Role.ENTERPRISE:
        return requests.filter(enterprise__memberships__user=user).distinct()
    if user.role == Role.OFFICIAL:
        requests = requests.filter(department_id=user.department_id)
        if user.district_id is not None:
            requests = requests.filter(district_id=user.district_id)
        return requests
    return requests.none()


def department_stats(requests: QuerySet[Request] | None = None) -> list[dict[str, Any]]:
    """Per department and district: requests, answered, rated, the satisfaction rate
    (satisfied or basically satisfied among the rated) and the mean time to answer (wall
    clock hours), for the dashboards."""
    from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q

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
