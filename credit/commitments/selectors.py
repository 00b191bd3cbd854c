"""Reading commitments through a scope (see credit/records/selectors.py)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import User

from ..records.selectors import official_area
from .models import Commitment


def commitments_visible_to(user: User) -> QuerySet[Commitment]:
    """Members: their enterprises' commitments. Officials: those their department verifies
    (in their district, when district-scoped). Auditors and administrators: all."""
    commitments = Commitment.objects.select_related("enterprise", "notice", "department",
                                                    "accepted_by")  # fmt: skip
    if not user.is_authenticated or not user.is_active:
        return commitments.none()
    if user.sees_everything:
        return commitments.all()
    if user.is_official:
        return commitments.filter(Q(department_id=user.department_id) & official_area(user))
    if user.is_enterprise_member:
        return commitments.filter(enterprise__memberships__user=user)
    return commitments.none()
