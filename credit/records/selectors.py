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
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from enterprises.models import Enterprise
from qinqing.scoping import visible_to

from .models import CreditRecord, RecordStatus


def records_visible_to(user: Any) -> QuerySet[CreditRecord]:
    """By CreditRecord.reach: the area's records for officials, whatever the department."""
    return visible_to(
        user, CreditRecord.objects.select_related("enterprise", "department", "commitment__notice")
    )


def public_records(enterprise: Enterprise, day: date | None = None) -> QuerySet[CreditRecord]:
    """What anyone may read: records in effect, within their publicity window."""
    day = day or timezone.localdate()
    return CreditRecord.objects.filter(
        enterprise=enterprise, status=RecordStatus.ACTIVE, public_until__isnull=False,
        occurred_on__lte=day, public_until__gt=day,
    ).select_related("department", "commitment__notice")  # fmt: skip
