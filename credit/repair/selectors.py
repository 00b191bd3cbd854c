"""Reading repair applications through the one scope (RepairApplication.reach): members
their enterprises', officials those about their department's records (in their
district), auditors all."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from qinqing.scoping import visible_to

from .models import RepairApplication


def repairs_visible_to(user: Any) -> QuerySet[RepairApplication]:
    applications = RepairApplication.objects.select_related(
        "record__department", "enterprise", "applicant", "commitment"
    )
    return visible_to(user, applications)
