"""Reads, scoped: an applicant sees its own applications; an official sees the items of
their department (and district); auditors and administrators see everything."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from accounts.models import Role

from .models import OPEN_STATES, Application, Item, ItemStatus, Permit, ServicePackage


def open_packages() -> QuerySet[ServicePackage]:
    return ServicePackage.objects.filter(active=True).order_by("code")


def applications_for(user: Any) -> QuerySet[Application]:
    applications = Application.objects.select_related("package", "enterprise", "district")
    if not getattr(user, "is_authenticated", False):
        return applications.none()
    if user.sees_everything:
        return applications
    if user.role == Role.ENTERPRISE:
        return applications.filter(
            Q(applicant=user) | Q(enterprise__memberships__user=user)
        ).distinct()
    if user.role == Role.OFFICIAL:
        items = items_for_official(user)
        return applications.filter(pk__in=items.values("application_id")).exclude(
            status="draft")  # fmt: skip
    return applications.none()


def items_for_official(user: Any) -> QuerySet[Item]:
    items = Item.objects.select_related("application", "item_type", "department", "district",
                                        "assigned_to")  # fmt: skip
    if not getattr(user, "is_authenticated", False):
        return items.none()
    if user.sees_everything:
        return items
    if user.role != Role.OFFICIAL:
        return items.none()
    items = items.filter(department_id=user.department_id)
    if user.district_id is not None:
        items = items.filter(district_id=user.district_id)
    return items


def items_for(user: Any) -> QuerySet[Item]:
    """Items the user may read: an official's department's, or the applicant's own."""
    if getattr(user, "is_authenticated", False) and user.role == Role.ENTERPRISE:
        return Item.objects.select_related("application", "item_type", "department").filter(
            application__in=applications_for(user))  # fmt: skip
    return items_for_official(user)


def review_queue(user: Any, *, status: str = "", mine: bool = False) -> QuerySet[Item]:
    """Open items by time left: soonest deadline first, paused ones (no deadline) last."""
    items = items_for_official(user).filter(status__in=OPEN_STATES)
    if status in OPEN_STATES:
        items = items.filter(status=status)
    if mine:
        items = items.filter(assigned_to=user)
    return items.order_by(F("deadline").asc(nulls_last=True), "pk")


def overdue_items(user: Any, now: datetime | None = None) -> QuerySet[Item]:
    return (
        items_for_official(user)
        .filter(status=ItemStatus.PENDING, deadline__lt=now or timezone.now())
        .order_by("deadline")
    )


def verifications_due(user: Any) -> QuerySet[Item]:
    return items_for_official(user).filter(status=ItemStatus.COMMITTED).order_by("verify_by")


def permit_by_code(code: str) -> Permit | None:
    code = (code or "").strip().upper()
    if not code or len(code) > 16:
        return None
    return (Permit.objects.select_related("item__item_type", "item__department",
                                          "item__application__enterprise")
            .filter(verification_code=code).first())  # fmt: skip
