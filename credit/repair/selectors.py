"""Reading repair applications through the one scope (RepairApplication.reach): members
their enterprises', officials those about their department's records (in their
district), auditors all."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from qinqing.scoping import visible_to

from ..records.models import NEGATIVE_KINDS, CreditRecord, RecordStatus
from ..records.selectors import records_visible_to
from .models import RepairApplication, RepairStatus
from .services import repairable_from


def repairs_visible_to(user: Any) -> QuerySet[RepairApplication]:
    applications = RepairApplication.objects.select_related(
        "record__department", "enterprise", "applicant", "commitment"
    )
    return visible_to(user, applications)


def repairable_records(user: Any, day: date | None = None) -> list[CreditRecord]:
    """The user's enterprises' records of untrustworthy conduct that may be repaired today:
    in effect, past their least publicity (services.repairable_from), no application
    waiting. Scoped like every record read (records_visible_to)."""
    day = day or timezone.localdate()
    waiting = RepairApplication.objects.filter(status=RepairStatus.PENDING).values("record_id")
    records = (records_visible_to(user)
               .filter(kind__in=NEGATIVE_KINDS, status=RecordStatus.ACTIVE)
               .exclude(pk__in=waiting).order_by("occurred_on", "pk"))  # fmt: skip
    return [record for record in records if repairable_from(record) <= day]
