"""Locking and the one status writer of a request (qinqing.transitions, by the table on
Request)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from qinqing.transitions import move as move_status

from ..models import Request, RequestStatus
from ..signals import request_answered
from .refusals import RequestRefused


def locked_request(request_id: int) -> Request:
    try:
        return (
            Request.objects.select_for_update(of=("self",))
            .select_related("enterprise", "category", "department", "district")
            .get(pk=request_id)
        )
    except Request.DoesNotExist:
        raise RequestRefused(_("There is no such request.")) from None


def move(request: Request, to: str, actor: Any, **changes: Any) -> Request:
    """The one place a request's status changes: checked against Request.transitions,
    audited as `directline.request.<status>`; a move the table forbids is a 409."""
    move_status(request, to, actor=actor, **changes)
    if to == RequestStatus.ANSWERED:
        request_answered.send(sender=Request, request_id=request.pk, actor=actor)
    return request
