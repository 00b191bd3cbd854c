"""Approval on commitment: the credit check of the route, the signed commitment, the
department's verification afterwards and the revocation of a breached one."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from credit.commitments import services as credit
from credit.errors import CreditRefused
from datahub.fetching.pipeline import fetch_facts
from enterprises.models import Enterprise
from qinqing.errors import IllegalTransition
from qinqing.notifications.text import Message
from qinqing.workhours.case_services import close_pause
from qinqing.workhours.clock import TimeLimit, add_working_time

from ..models import (
    Application,
    Item,
    ItemStatus,
    Permit,
)
from .access import require_applicant, require_official
from .notifications import tell_applicant
from .permits import issue_permit
from .refusals import ApprovalConflict, ApprovalRefused, NotAllowed, short_text
from .status import locked_application, locked_item, move_item, settle_application

CREDIT_FACTS = ["credit.black_list", "credit.grade"]
# The lowest grade may not use the commitment route (nor may a black-listed enterprise).
LOWEST_GRADE = "D"


def credit_route_refusal(enterprise: Enterprise | None, actor: Any, purpose: str) -> str | None:
    """Why the enterprise may not approve on commitment, or None. Read from the hub's credit
    facts, outside any transaction."""
    if enterprise is None:
        return None
    found = fetch_facts(enterprise, CREDIT_FACTS, purpose=purpose, requested_by=actor)
    black, grade = found.facts["credit.black_list"], found.facts["credit.grade"]
    if not (black.known and grade.known):
        return _(
            "Your credit standing cannot be read from the departments right now; "
            "wait for the review or try the commitment route again later."
        )
    if black.value:
        return _(
            "Enterprises on the black list of untrustworthy entities cannot approve on commitment."
        )
    if grade.value == LOWEST_GRADE:
        return _("Enterprises with credit grade D cannot approve on commitment.")
    return None


def commit_items(application: Application, items: Iterable[Item], actor: Any) -> list[Item]:
    """Approve each item on a signed commitment (under the application's lock)."""
    notice = credit.current_notice("approval-item")
    now = timezone.now()
    committed = []
    for item in items:
        verify_by = add_working_time(
            now, TimeLimit(item.item_type.verify_within_days, "days").seconds
        )
        try:
            commitment = credit.make_commitment(
                enterprise=application.enterprise,
                accepted_by=actor,
                notice=notice,
                subject_kind="approval_item",
                subject_ref=f"approvals.item:{item.pk}",
                # In both languages: the item type's checks (or name) as each reads them.
                verify_what=Message(
                    "{checks}",
                    checks=lambda item=item: (
                        item.item_type.commitment_checks or item.item_type.name
                    ),
                ),
                verify_by=verify_by,
                department=item.department,
            )
        except CreditRefused as error:  # e.g. black-listed since the hub was read
            raise ApprovalRefused(str(error)) from error
        close_pause(item)
        move_item(
            item,
            ItemStatus.COMMITTED,
            actor,
            decided_at=now,
            decided_by=actor,
            commitment_id=commitment.pk,
            verify_by=verify_by,
            deadline=None,
        )
        issue_permit(item)
        committed.append(item)
    return committed


def approve_on_commitment(
    application_id: int, *, actor: Any, item_ids: Iterable[int] | None = None
) -> list[Item]:
    """The enterprise signs the commitment for open items that allow it; they are approved
    at once and a verification with a deadline goes to each department."""
    application = Application.objects.select_related("enterprise").get(pk=application_id)
    refusal = credit_route_refusal(
        application.enterprise, actor, f"approvals.application:{application_id} commitment route"
    )
    with transaction.atomic():
        application = locked_application(application_id)
        require_applicant(actor, application)
        if refusal:
            raise ApprovalRefused(refusal)
        if application.enterprise_id is None:
            raise ApprovalRefused(_("The commitment route is for registered enterprises."))
        items = application.items.select_for_update().select_related("item_type", "department")
        items = items.filter(status=ItemStatus.PENDING, item_type__allows_commitment=True)
        if item_ids is not None:
            items = items.filter(pk__in=list(item_ids))
        items = list(items)
        if not items:
            raise ApprovalConflict(
                _("No item of this application can be approved on commitment now.")
            )
        for item in items:
            item.application = application
        committed = commit_items(application, items, actor)
        settle_application(application, actor)
    return committed


def verify_commitment(item_id: int, *, actor: Any, passed: bool, note: str) -> Item:
    """The department's check after the fact. A failure breaches the commitment in credit,
    whose signal revokes the approval (receivers.py) in this same transaction."""
    with transaction.atomic():
        item = locked_item(item_id)
        require_official(actor, item)
        if item.status != ItemStatus.COMMITTED:
            raise ApprovalConflict(_("This item has no commitment awaiting verification."))
        note = short_text(note, what=_("verification result"), required=not passed)
        try:
            with contextlib.suppress(IllegalTransition):  # already being verified
                credit.start_verification(item.commitment_id, actor=actor)
            if passed:
                credit.fulfil_commitment(item.commitment_id, actor=actor, note=note)
                move_item(item, ItemStatus.VERIFIED, actor, decision_note=note)
            else:
                # credit's commitment_breached signal revokes the item (receivers.py).
                credit.breach_commitment(item.commitment_id, actor=actor, reason=note)
        except PermissionDenied as error:
            raise NotAllowed(str(error)) from error
        except CreditRefused as error:
            raise ApprovalRefused(str(error)) from error
    return Item.objects.get(pk=item_id)


def lock_for_commitment(commitment_id: int) -> Item | None:
    """Before credit locks a commitment made for an item: the item's application, then
    the item (locked_item), so that credit's own pages lock in the order approvals does —
    application → item → commitment → enterprise. Already held by an approvals path."""
    item_id = Item.objects.filter(commitment_id=commitment_id).values_list("pk", flat=True).first()
    return locked_item(item_id) if item_id is not None else None


def revoke_for_breach(commitment_id: int, *, actor: Any, reason: str) -> Item | None:
    """A breached commitment takes back the approval it bought (idempotent)."""
    item_id = Item.objects.filter(commitment_id=commitment_id).values_list("pk", flat=True).first()
    if item_id is None:
        return None
    with transaction.atomic():
        item = locked_item(item_id)
        if item.status == ItemStatus.REVOKED:
            return item
        move_item(item, ItemStatus.REVOKED, actor, decision_note=reason)
        Permit.objects.filter(item=item, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_reason=reason
        )
        settle_application(item.application, actor)
        tell_applicant(
            item,
            Message(
                gettext_lazy("{item}: approval revoked, the commitment was not kept: {reason}"),
                item=item.item_type,
                reason=reason,
            ),
        )
    return item
