"""The department's side: asking for information (the clock pauses until the enterprise
supplies it; on an open or a reopened request), transferring with a reason (the
coordinating office forwards what it receives, to the department of the policy it is
about), assigning to a colleague of the department, answering."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from departments.models import Department
from policies.models import Policy
from qinqing.audit.services import record_event
from qinqing.notifications.services import notify
from qinqing.notifications.text import Message
from qinqing.scoping import official_covers
from qinqing.workhours.case_services import pause, post_message, resume

from ..models import (
    OPEN_STATES,
    MessageKind,
    Request,
    RequestHop,
    RequestStatus,
)
from .access import require_enterprise, require_official
from .notifications import REQUEST_KIND, tell_department, tell_enterprise, tell_handlers
from .refusals import RequestConflict, RequestRefused, clean_text
from .status import locked_request, move


def ask_for_information(request_id: int, *, actor: Any, message: str) -> Request:
    """The clock stops until the enterprise supplies what is asked; a reopened request
    may be asked about too (it returns to the supervisor when the enterprise answers)."""
    with transaction.atomic():
        request = locked_request(request_id)
        require_official(actor, request)
        if request.status not in (RequestStatus.OPEN, RequestStatus.REOPENED):
            raise RequestConflict(_("Information can be asked for on an open request only."))
        message = clean_text(message, what=_("question"))
        move(request, RequestStatus.INFO_REQUESTED, actor, deadline=None)
        pause(request)
        post_message(request, author=actor, kind=MessageKind.INFO_REQUEST, body=message)
        tell_enterprise(request, gettext_lazy("The department asks for more information"))
    return request


def supply_information(request_id: int, *, actor: Any, message: str) -> Request:
    with transaction.atomic():
        request = locked_request(request_id)
        require_enterprise(actor, request)
        if request.status != RequestStatus.INFO_REQUESTED:
            raise RequestConflict(_("No information is awaited on this request."))
        message = clean_text(message, what=_("information"))
        post_message(request, author=actor, kind=MessageKind.INFO_ANSWER, body=message)
        # Back to where it was asked from: only a reopened request has been reopened.
        back = RequestStatus.REOPENED if request.reopened_at else RequestStatus.OPEN
        move(request, back, actor)
        resume(request)
        tell_handlers(request, gettext_lazy("Information supplied: {subject}"))
    return request


def transfer(
    request_id: int,
    *,
    actor: Any,
    department: Department | None = None,
    reason: str,
    policy: Policy | None = None,
) -> Request:
    """Forward an open request to another department, with the reason. Naming the policy
    it is about records it on the request and, without a department, sends it to the
    policy's."""
    with transaction.atomic():
        request = locked_request(request_id)
        require_official(actor, request)
        if request.status != RequestStatus.OPEN:
            raise RequestConflict(_("Only an open request can be transferred."))
        if department is None and policy is not None:
            department = policy.department
        if department is None:
            raise RequestRefused(_("Choose a department."))
        if department.pk == request.department_id:
            raise RequestRefused(_("Choose another department."))
        reason = clean_text(reason, what=_("reason"))
        before = request.department
        RequestHop.objects.create(
            request=request,
            from_department=before,
            to_department=department,
            reason=reason,
            actor=actor,
        )
        post_message(request, author=actor, kind=MessageKind.TRANSFER, body=reason)
        before_policy = request.policy.code if request.policy_id else None
        request.department = department
        request.assignee = None  # the new department decides who works it
        if policy is not None:
            request.policy = policy
        request.save(update_fields=["department", "assignee", "policy"])
        record_event(
            actor=actor,
            action="directline.request.transferred",
            obj=request,
            before={"department": before.code, "policy": before_policy},
            after={
                "department": department.code,
                "policy": request.policy.code if request.policy_id else None,
                "reason": reason,
            },
        )
        tell_department(request, gettext_lazy("Request transferred to you: {subject}"))
    return request


def assign(request_id: int, *, actor: Any, assignee: Any) -> Request:
    """Give a request still being worked to a colleague of its department who covers its
    district (or take it oneself): audited, and the colleague is told."""
    with transaction.atomic():
        request = locked_request(request_id)
        require_official(actor, request)
        if request.status not in OPEN_STATES:
            raise RequestConflict(_("Only a request still being worked can be assigned."))
        if assignee is None or not official_covers(
            assignee, department_id=request.department_id, district_id=request.district_id
        ):
            raise RequestRefused(
                _("Choose a colleague of the department who covers the request's district."),
                fields={"assignee": [_("Not a colleague who may work this request.")]},
            )
        if assignee.pk == request.assignee_id:
            raise RequestConflict(
                _("The request is already assigned to %(name)s.") % {"name": _name(assignee)}
            )
        before = request.assignee_id
        request.assignee = assignee
        request.save(update_fields=["assignee"])
        record_event(
            actor=actor,
            action="directline.request.assigned",
            obj=request,
            before={"assignee": before},
            after={"assignee": assignee.pk},
        )
        if assignee.pk != actor.pk:
            notify(
                [assignee],
                REQUEST_KIND,
                Message(
                    gettext_lazy("Request assigned to you: {subject}"), subject=request.subject
                ),
                Message(gettext_lazy("Assigned by {name}."), name=_name(actor)),
                link=f"/requests/queue/{request.pk}/",
            )
    return request


def _name(user: Any) -> str:
    return getattr(user, "display_name", "") or user.get_username()


def answer(request_id: int, *, actor: Any, text: str) -> Request:
    with transaction.atomic():
        request = locked_request(request_id)
        require_official(actor, request)
        text = clean_text(text, what=_("answer"))
        move(
            request,
            RequestStatus.ANSWERED,
            actor,
            answer=text,
            answered_at=timezone.now(),
            answered_by=actor,
            deadline=None,  # answered: no longer running against its limit
        )
        post_message(request, author=actor, kind=MessageKind.ANSWER, body=text)
        tell_enterprise(request, gettext_lazy("Your request has been answered: please rate it"))
    return request
