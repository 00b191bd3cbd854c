"""Locking and the status writers: an item's moves, and the application's status settled
from its items, both through qinqing.transitions (the tables are on the models).

Lock order is always application row first, then its items, so two departments deciding
two items of one application at the same instant queue on the application row: the last
one to commit sees every other decision and settles the application exactly once."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.transitions import move

from ..models import (
    APPROVED_STATES,
    OPEN_STATES,
    Application,
    ApplicationStatus,
    Item,
    ItemStatus,
    PackageKind,
)
from .notifications import tell_applicant_side
from .refusals import ApprovalRefused
from .registration import register_new_enterprise


def locked_application(application_id: int) -> Application:
    try:
        return (
            Application.objects.select_for_update(of=("self",))
            .select_related("package")
            .get(pk=application_id)
        )
    except Application.DoesNotExist:
        raise ApprovalRefused(_("There is no such application.")) from None


def locked_item(item_id: int) -> Item:
    """The item and its application, locked in the one order every service uses."""
    application_id = Item.objects.filter(pk=item_id).values_list("application_id", flat=True)
    application_id = application_id.first()
    if application_id is None:
        raise ApprovalRefused(_("There is no such item."))
    application = locked_application(application_id)
    item = (
        Item.objects.select_for_update(of=("self",))
        .select_related("item_type", "department")
        .get(pk=item_id)
    )
    item.application = application
    return item


def move_item(item: Item, to: str, actor: Any, **changes: Any) -> Item:
    """The one place an item's status changes: checked against Item.transitions, audited as
    `approvals.item.<status>`, `approval.decided` written to the outbox for a decision."""
    return move(item, to, actor=actor, **changes)


def settled_status(application: Application) -> str:
    """The status an application's items call for."""
    statuses = set(application.items.values_list("status", flat=True))
    if ItemStatus.REVOKED in statuses:
        return ApplicationStatus.REVOKED
    if statuses <= APPROVED_STATES:
        return ApplicationStatus.APPROVED
    if ItemStatus.REJECTED in statuses and not statuses & OPEN_STATES:
        return ApplicationStatus.REJECTED
    return ApplicationStatus.IN_REVIEW


def settle_application(application: Application, actor: Any) -> Application:
    """Recompute the application's status from its items (under its lock)."""
    if application.status in (ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN):
        return application
    if not application.items.exists():
        return application
    target = settled_status(application)
    if target == application.status:
        return application
    decided_at = timezone.now() if target != ApplicationStatus.IN_REVIEW else None
    move(application, target, actor=actor, decided_at=decided_at)
    if (
        target == ApplicationStatus.APPROVED
        and application.package.kind == PackageKind.ESTABLISHMENT
    ):
        register_new_enterprise(application, actor)
    tell_applicant_side(application, target)
    return application
