"""Officials' decisions on an item (approve, reject, ask for a supplement, pause the clock,
assign) and the applicant's answers to them (supplement, resubmission)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from qinqing.audit.services import record_event
from qinqing.notifications.services import notify
from qinqing.notifications.text import Message
from qinqing.workhours.case_services import (
    close_pause,
    open_pause,
    pause,
    post_message,
    refresh_deadline,
    resume,
)

from ..models import (
    OPEN_STATES,
    Item,
    ItemStatus,
    MessageKind,
    PauseReason,
)
from .access import is_item_official, require_applicant, require_official
from .notifications import tell_applicant
from .permits import issue_permit
from .refusals import ApprovalConflict, ApprovalRefused, short_text
from .status import locked_item, move_item, settle_application


def approve_item(item_id: int, *, actor: Any, note: str = "") -> Item:
    with transaction.atomic():
        item = locked_item(item_id)
        require_official(actor, item)
        note = short_text(note, what=_("note"), required=False)
        close_pause(item)
        move_item(
            item,
            ItemStatus.APPROVED,
            actor,
            decided_at=timezone.now(),
            decided_by=actor,
            decision_note=note,
        )
        issue_permit(item)
        settle_application(item.application, actor)
    return item


def reject_item(item_id: int, *, actor: Any, reasons: str) -> Item:
    with transaction.atomic():
        item = locked_item(item_id)
        require_official(actor, item)
        reasons = short_text(reasons, what=_("reasons for the rejection"))
        close_pause(item)
        move_item(
            item,
            ItemStatus.REJECTED,
            actor,
            decided_at=timezone.now(),
            decided_by=actor,
            decision_note=reasons,
        )
        post_message(item, author=actor, kind=MessageKind.REJECTION, body=reasons)
        settle_application(item.application, actor)
        tell_applicant(
            item,
            Message(
                gettext_lazy("{item} was rejected: {reasons}"),
                item=item.item_type,
                reasons=reasons,
            ),
        )
    return item


def request_supplement(item_id: int, *, actor: Any, message: str) -> Item:
    """Asks the applicant for more; the item's clock stops until they answer."""
    with transaction.atomic():
        item = locked_item(item_id)
        require_official(actor, item)
        message = short_text(message, what=_("request"))
        move_item(item, ItemStatus.SUPPLEMENT, actor, deadline=None)
        pause(item, reason=PauseReason.SUPPLEMENT)
        post_message(item, author=actor, kind=MessageKind.SUPPLEMENT_REQUEST, body=message)
        tell_applicant(
            item,
            Message(
                gettext_lazy("{item}: the department asks for a supplement"),
                item=item.item_type,
            ),
            kind="approval.supplement",
        )
    return item


OFFICIAL_PAUSES = (PauseReason.HEARING, PauseReason.EXPERT_REVIEW)


def pause_clock(item_id: int, *, actor: Any, reason: str, note: str) -> Item:
    """A hearing or an expert review: time the law does not count against the limit. The
    item stays in review; its deadline is unknown until the clock resumes."""
    if reason not in OFFICIAL_PAUSES:
        raise ApprovalRefused(_("Pause the clock for a hearing or an expert review."))
    with transaction.atomic():
        item = locked_item(item_id)
        require_official(actor, item)
        if item.status != ItemStatus.PENDING:
            raise ApprovalConflict(_("Only an item in review can be paused."))
        if open_pause(item) is not None:
            raise ApprovalConflict(_("The clock of this item is already paused."))
        note = short_text(note, what=_("reason for the pause"))
        pause(item, reason=reason)
        post_message(item, author=actor, kind=MessageKind.NOTE, body=note)
        record_event(
            actor=actor, action="approvals.item.clock_paused", obj=item, after={"reason": reason}
        )
    return item


def resume_clock(item_id: int, *, actor: Any) -> Item:
    with transaction.atomic():
        item = locked_item(item_id)
        require_official(actor, item)
        stopped = open_pause(item)
        if (
            item.status != ItemStatus.PENDING
            or stopped is None
            or stopped.reason not in OFFICIAL_PAUSES
        ):
            raise ApprovalConflict(
                _("The clock of this item is not paused for a hearing or an expert review.")
            )
        resume(item)
        record_event(
            actor=actor,
            action="approvals.item.clock_resumed",
            obj=item,
            after={
                "reason": stopped.reason,
                "deadline": item.deadline.isoformat() if item.deadline else None,
            },
        )
    return item


def answer_supplement(item_id: int, *, actor: Any, message: str) -> Item:
    with transaction.atomic():
        item = locked_item(item_id)
        require_applicant(actor, item.application)
        if item.status != ItemStatus.SUPPLEMENT:
            raise ApprovalConflict(_("No supplement is awaited on this item."))
        message = short_text(message, what=_("supplement"))
        post_message(item, author=actor, kind=MessageKind.SUPPLEMENT_ANSWER, body=message)
        move_item(item, ItemStatus.PENDING, actor)
        resume(item)
    return item


def resubmit_item(item_id: int, *, actor: Any, message: str) -> Item:
    """After a rejection: the applicant says what was fixed; the item is reviewed again on
    a fresh clock."""
    with transaction.atomic():
        item = locked_item(item_id)
        require_applicant(actor, item.application)
        if item.status != ItemStatus.REJECTED:
            raise ApprovalConflict(_("Only a rejected item can be resubmitted."))
        message = short_text(message, what=_("what you fixed"))
        post_message(item, author=actor, kind=MessageKind.NOTE, body=message)
        now = timezone.now()
        # Earlier pauses stay on record; the clock ignores those before the restart.
        move_item(
            item,
            ItemStatus.PENDING,
            actor,
            started_at=now,
            decided_at=None,
            decided_by=None,
            warned_at=None,
            escalated_at=None,
        )
        refresh_deadline(item)
        settle_application(item.application, actor)
    return item


def assign_item(item_id: int, *, actor: Any, assignee: User | None) -> Item:
    with transaction.atomic():
        item = locked_item(item_id)
        require_official(actor, item)
        if item.status not in OPEN_STATES:
            raise ApprovalConflict(_("Only an open item can be assigned."))
        if assignee is not None and not is_item_official(assignee, item):
            raise ApprovalRefused(
                _("Assign the item to an official of its department and district.")
            )
        before = {"assigned_to": item.assigned_to_id}
        item.assigned_to = assignee
        item.save(update_fields=["assigned_to"])
        record_event(
            actor=actor,
            action="approvals.item.assigned",
            obj=item,
            before=before,
            after={"assigned_to": assignee.pk if assignee else None},
        )
        if assignee is not None and assignee != actor:
            notify(
                [assignee],
                "approval.deadline",
                gettext_lazy("An approval item was assigned to you"),
                Message("{item}", item=item),
                link=f"/approvals/review/{item.pk}/",
            )
    return item
