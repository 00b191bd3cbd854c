"""Reading credit records, always through a scope.

Credit information is shared across departments (joint rewards and punishments), so an
official sees every department's records, commitments' outcomes and list entries for the
enterprises in their area (their district, or the city when they have none); they change
only what their own department records or verifies. Members see their own enterprises';
auditors and administrators everything. The public sees a record only while it is within
its publicity window.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from enterprises.models import Enterprise

from .models import CreditRecord, RecordStatus


def official_area(user: User, enterprise_field: str = "enterprise") -> Q:
    """An official's area: their district's enterprises, or all when city-wide."""
    if user.district_id is None:
        return Q()
    return Q(**{f"{enterprise_field}__district_id": user.district_id})


def records_visible_to(user: User) -> QuerySet[CreditRecord]:
    records = CreditRecord.objects.select_related("enterprise", "department")
    if not user.is_authenticated or not user.is_active:
        return records.none()
    if user.sees_everything:
        return records.all()
    if user.is_official:
        return records.filter(official_area(user))
    if user.is_enterprise_member:
        return records.filter(enterprise__memberships__user=user)
    return records.none()


def public_records(enterprise: Enterprise, day: date | None = None) -> QuerySet[CreditRecord]:
    """What anyone may read: records in effect, within their publicity window."""
    day = day or timezone.localdate()
    return CreditRecord.objects.filter(
        enterprise=enterprise, status=RecordStatus.ACTIVE, public_until__isnull=False,
        occurred_on__lte=day, public_until__gt=day,
    ).select_related("department")  # fmt: skip
