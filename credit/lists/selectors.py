"""Reading the lists: entries through a scope (see credit/records/selectors.py), and the
entries in effect on a day."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User

from ..records.selectors import official_area
from .models import EntryStatus, ListEntry


def list_entries_visible_to(user: User) -> QuerySet[ListEntry]:
    entries = ListEntry.objects.select_related("enterprise", "rule", "source_department")
    if not user.is_authenticated or not user.is_active:
        return entries.none()
    if user.sees_everything:
        return entries.all()
    if user.is_official:
        return entries.filter(official_area(user))
    if user.is_enterprise_member:
        return entries.filter(enterprise__memberships__user=user)
    return entries.none()


def entries_in_effect(day: date | None = None) -> QuerySet[ListEntry]:
    day = day or timezone.localdate()
    return ListEntry.objects.filter(status=EntryStatus.CURRENT, valid_from__lte=day,
                                    valid_until__gte=day)  # fmt: skip
