"""Reading the lists: entries through a scope (see credit/records/selectors.py), and the
entries in effect on a day."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from qinqing.scoping import visible_to

from .models import EntryStatus, ListEntry


def list_entries_visible_to(user: Any) -> QuerySet[ListEntry]:
    """By ListEntry.reach: shared across departments, like the records."""
    return visible_to(
        user, ListEntry.objects.select_related("enterprise", "rule", "source_department")
    )


def entries_in_effect(day: date | None = None) -> QuerySet[ListEntry]:
    day = day or timezone.localdate()
    return ListEntry.objects.filter(status=EntryStatus.CURRENT, valid_from__lte=day,
                                    valid_until__gte=day)  # fmt: skip
