"""Reads, scoped by the one rule (qinqing.scoping, by the `reach` the models declare): an
applicant sees its own applications and its enterprises'; an official the items of their
department (and district) and the applications holding them; auditors and administrators
everything; an inactive account, or an official of a deactivated department, nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, QuerySet
from django.utils import timezone

from credit.commitments.selectors import commitments_visible_to
from qinqing.scoping import visible_to

from .models import OPEN_STATES, Application, Item, ItemStatus, Permit, ServicePackage


def open_packages() -> QuerySet[ServicePackage]:
    return ServicePackage.objects.filter(active=True).order_by("code")


def applications_for(user: Any) -> QuerySet[Application]:
    return visible_to(user, Application.objects.select_related("package", "enterprise", "district"))


def items_for(user: Any) -> QuerySet[Item]:
    """Items the user may read: an official's department's, or the applicant's own."""
    return visible_to(
        user,
        Item.objects.select_related(
            "application", "item_type", "department", "district", "assigned_to"
        ),
    )


def items_for_official(user: Any) -> QuerySet[Item]:
    """The items of the officials' pages (queue, detail): the same rule as `items_for`;
    the pages themselves are for reviewers (views.officials checks who may open them)."""
    return items_for(user)


def review_queue(user: Any, *, status: str = "", mine: bool = False) -> QuerySet[Item]:
    """Open items by time left: soonest deadline first, paused ones (no deadline) last."""
    items = items_for_official(user).filter(status__in=OPEN_STATES)
    if status in OPEN_STATES:
        items = items.filter(status=status)
    if mine:
        items = items.filter(assigned_to=user)
    return items.order_by(F("deadline").asc(nulls_last=True), "pk")


def overdue_items(user: Any, now: datetime | None = None) -> QuerySet[Item]:
    return (
        items_for_official(user)
        .filter(status=ItemStatus.PENDING, deadline__lt=now or timezone.now())
        .order_by("deadline")
    )


def verifications_due(user: Any) -> QuerySet[Item]:
    return items_for_official(user).filter(status=ItemStatus.COMMITTED).order_by("verify_by")


def permit_by_code(code: str) -> Permit | None:
    code = (code or "").strip().upper()
    if not code or len(code) > 16:
        return None
    return (Permit.objects.select_related("item__item_type", "item__department",
                                          "item__application__enterprise")
            .filter(verification_code=code).first())  # fmt: skip


@dataclass(frozen=True)
class Decided:
    """Who decided an item and when; `by` is None for a decision the system took."""

    at: datetime
    by: Any | None


def verification_of(user: Any, item: Item) -> Decided | None:
    """The verification that settled an item approved on commitment: the official who
    found the commitment kept or broken, and when (on the commitment in credit). The
    item's own `decided_by` stays the enterprise's signer, who made the commitment."""
    if item.commitment_id is None or item.status not in (ItemStatus.VERIFIED,
                                                         ItemStatus.REVOKED):  # fmt: skip
        return None
    commitment = (commitments_visible_to(user).filter(pk=item.commitment_id,
                                                      decided_at__isnull=False)
                  .select_related("decided_by").first())  # fmt: skip
    if commitment is None:
        return None
    return Decided(at=commitment.decided_at, by=commitment.decided_by)
