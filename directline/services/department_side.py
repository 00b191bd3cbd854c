"""The department's side: asking for information (the clock pauses until the enterprise
supplies it), transferring with a reason, answering."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from departments.models import Department
from qinqing.audit.services import record_event
from qinqing.workhours.case_services import pause, post_message, resume

from ..models import (
    MessageKind,
    Request,
    RequestHop,
    RequestStatus,
)
from .access import require_enterprise, require_official
from .notifications import tell_department, tell_enterprise
from .refusals import RequestConflict, RequestRefused, clean_text
from .status import locked_request, move


def ask_for_information(request_id: int, *, actor: Any, message: str) -> Request:
    """The clock stops until the enterprise supplies what is asked."""
    with transaction.atomic():
        request = locked_request(request_id)
        require_official(actor, request)
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
        move(request, RequestStatus.OPEN, actor)
        resume(request)
    return request


def transfer(request_id: int, *, actor: Any, department: Department, reason: str) -> Request:
    with transaction.atomic():
        request = locked_request(request_id)
        require_official(actor, request)
        if request.status != RequestStatus.OPEN:
            raise RequestConflict(_("Only an open request can be transferred."))
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
        request.department = department
        request.save(update_fields=["department"])
        record_event(
            actor=actor,
            action="directline.request.transferred",
            obj=request,
            before={"department": before.code},
            after={"department": department.code, "reason": reason},
        )
        tell_department(request, gettext_lazy("Request transferred to you: {subject}"))
    return request


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
