"""Locking and the one status writer: an item's moves, and the application's status settled
from its items.

Lock order is always application row first, then its items, so two departments deciding
two items of one application at the same instant queue on the application row: the last
one to commit sees every other decision and settles the application exactly once."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.audit.services import record_event
from qinqing.audit.transitions import change_status

from .. import events
from ..models import (
    APPROVED_STATES,
    ITEM_TRANSITIONS,
    OPEN_STATES,
    Application,
    ApplicationStatus,
    Item,
    ItemStatus,
    PackageKind,
)
from .notifications import tell_applicant_side
from .refusals import ApprovalConflict, ApprovalRefused
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
    """The one place an item's status changes."""
    moved = change_status(
        item,
        to,
        table=ITEM_TRANSITIONS,
        actor=actor,
        action_prefix="approvals.item",
        refusal=lambda here: ApprovalConflict(
            _("This item is %(status)s; that cannot be done now.")
            % {"status": ItemStatus(here).label}
        ),
        **changes,
    )
    events.item_moved(moved, to)  # approval.decided for partners, in this transaction
    return moved


def settle_application(application: Application, actor: Any) -> Application:
    """Recompute the application's status from its items (under its lock)."""
    statuses = set(application.items.values_list("status", flat=True))
    if not statuses or application.status in (ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN):
        return application
    if ItemStatus.REVOKED in statuses:
        target = ApplicationStatus.REVOKED
    elif statuses <= APPROVED_STATES:
        target = ApplicationStatus.APPROVED
    elif ItemStatus.REJECTED in statuses and not statuses & OPEN_STATES:
        target = ApplicationStatus.REJECTED
    else:
        target = ApplicationStatus.IN_REVIEW
    if target == application.status:
        return application
    before = {"status": application.status}
    application.status = target
    application.decided_at = timezone.now() if target != ApplicationStatus.IN_REVIEW else None
    application.save(update_fields=["status", "decided_at", "updated_at"])
    record_event(
        actor=actor,
        action=f"approvals.application.{target}",
        obj=application,
        before=before,
        after={"status": target},
    )
    if (
        target == ApplicationStatus.APPROVED
        and application.package.kind == PackageKind.ESTABLISHMENT
    ):
        register_new_enterprise(application, actor)
    tell_applicant_side(application, target)
    return application
