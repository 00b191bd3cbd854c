"""Permits issued for approved items."""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import events
from ..models import (
    Item,
    Permit,
)


def issue_permit(item: Item) -> Permit:
    year = timezone.localdate().year
    for _attempt in range(5):
        try:
            with transaction.atomic():
                permit = Permit.objects.create(
                    item=item,
                    number=f"{item.item_type.permit_prefix}-{year}-{item.pk:07d}",
                    verification_code=secrets.token_hex(5).upper(),
                )
                events.permit_issued(permit)  # rolls back with the permit if drawn again
                return permit
        except IntegrityError:  # a code already taken (1 in 10^12): draw again
            if Permit.objects.filter(item=item).exists():
                return item.permit
    raise RuntimeError("could not draw a free permit verification code")
