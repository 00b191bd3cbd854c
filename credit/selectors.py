"""Reading credit, always through a scope.

Credit information is shared across departments (joint rewards and punishments), so an
official sees every department's records, commitments' outcomes and list entries for the
enterprises in their area (their district, or the city when they have none); they change
only what their own department records or verifies. Members see their own enterprises';
auditors and administrators everything. The public sees a record only while it is within
its publicity window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from enterprises.models import Enterprise

from .grading import explain, scoring_model_in_force
from .models import (
    Commitment,
    CreditGrade,
    CreditRecord,
    EntryStatus,
    GradeChange,
    ListEntry,
    ListKind,
    RecordStatus,
)
from .scoring import grade_for


def _area(user: User, enterprise_field: str = "enterprise") -> Q:
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
        return records.filter(_area(user))
    if user.is_enterprise_member:
        return records.filter(enterprise__memberships__user=user)
    return records.none()


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
        return commitments.filter(Q(department_id=user.department_id) & _area(user))
    if user.is_enterprise_member:
        return commitments.filter(enterprise__memberships__user=user)
    return commitments.none()


def list_entries_visible_to(user: User) -> QuerySet[ListEntry]:
    entries = ListEntry.objects.select_related("enterprise", "rule", "source_department")
    if not user.is_authenticated or not user.is_active:
        return entries.none()
    if user.sees_everything:
        return entries.all()
    if user.is_official:
        return entries.filter(_area(user))
    if user.is_enterprise_member:
        return entries.filter(enterprise__memberships__user=user)
    return entries.none()


def grade_changes_visible_to(user: User) -> QuerySet[GradeChange]:
    changes = GradeChange.objects.select_related("enterprise", "model")
    if not user.is_authenticated or not user.is_active:
        return changes.none()
    if user.sees_everything:
        return changes.all()
    if user.is_official:
        return changes.filter(_area(user))
    if user.is_enterprise_member:
        return changes.filter(enterprise__memberships__user=user)
    return changes.none()


def public_records(enterprise: Enterprise, day: date | None = None) -> QuerySet[CreditRecord]:
    """What anyone may read: records in effect, within their publicity window."""
    day = day or timezone.localdate()
    return CreditRecord.objects.filter(
        enterprise=enterprise, status=RecordStatus.ACTIVE, public_until__isnull=False,
        occurred_on__lte=day, public_until__gt=day,
    ).select_related("department")  # fmt: skip


def entries_in_effect(day: date | None = None) -> QuerySet[ListEntry]:
    day = day or timezone.localdate()
    return ListEntry.objects.filter(status=EntryStatus.CURRENT, valid_from__lte=day,
                                    valid_until__gte=day)  # fmt: skip


@dataclass
class Standing:
    """An enterprise's grade and list standing, stored or (without records) the default."""

    grade: str
    score: int
    model_version: int
    grade_since: date | None
    computed_at: datetime | None
    red: ListEntry | None
    black: ListEntry | None
    stored: CreditGrade | None

    @property
    def red_listed(self) -> bool:
        return self.red is not None

    @property
    def black_listed(self) -> bool:
        return self.black is not None


def standing(enterprise: Enterprise, day: date | None = None) -> Standing:
    day = day or timezone.localdate()
    stored = CreditGrade.objects.filter(enterprise=enterprise).select_related("model").first()
    entries = {entry.list_kind: entry
               for entry in entries_in_effect(day).filter(enterprise=enterprise)}  # fmt: skip
    red, black = entries.get(ListKind.RED), entries.get(ListKind.BLACK)
    if stored is not None:
        return Standing(stored.grade, stored.score, stored.model.version, stored.grade_since,
                        stored.computed_at, red, black, stored)  # fmt: skip
    model = scoring_model_in_force(day)
    return Standing(grade_for(model.base_score, model.thresholds), model.base_score,
                    model.version, None, None, red, black, None)  # fmt: skip


def explanation(enterprise: Enterprise, current: Standing) -> dict[str, Any]:
    """Which records moved the score, and by how much. Kept with a grade computed for one
    enterprise; derived again (same model, records in effect that day) after a
    recomputation of everyone, or for an enterprise with no grade yet."""
    if current.stored is not None and current.stored.explanation:
        return current.stored.explanation
    if current.stored is not None:
        model = current.stored.model
        day = timezone.localdate(current.stored.computed_at)
    else:
        model = scoring_model_in_force()
        day = timezone.localdate()
    return explain(enterprise, model, day).explanation(model.version)
