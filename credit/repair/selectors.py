"""Reading repair applications through a scope."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import RepairApplication


def repairs_visible_to(user: Any) -> QuerySet[RepairApplication]:
    """Members: their enterprises' applications; officials: those about their department's
    records (in their district, when district-scoped); auditors: all."""
    applications = RepairApplication.objects.select_related(
        "record__department", "enterprise", "applicant", "commitment"
    )
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return applications.none()
    if user.sees_everything:
        return applications.all()
    if user.is_official:
        applications = applications.filter(record__department_id=user.department_id)
        if user.district_id is not None:
            applications = applications.filter(enterprise__district_id=user.district_id)
        return applications
    if user.is_enterprise_member:
        return applications.filter(enterprise__memberships__user=user)
    return applications.none()
