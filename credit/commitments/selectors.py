"""Reading commitments through the one scope (Commitment.reach): members their
enterprises', officials those their department verifies (in their district), auditors
all."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from qinqing.scoping import visible_to

from .models import Commitment


def commitments_visible_to(user: Any) -> QuerySet[Commitment]:
    commitments = Commitment.objects.select_related("enterprise", "notice", "department",
                                                    "accepted_by")  # fmt: skip
    return visible_to(user, commitments)
