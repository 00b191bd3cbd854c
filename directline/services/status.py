"""Locking and the one status writer of a request."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from qinqing.audit.transitions import change_status

from ..models import (
    TRANSITIONS,
    Request,
    RequestStatus,
)
from .refusals import RequestConflict, RequestRefused


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
    """The one place a request's status changes."""
    return change_status(
        request,
        to,
        table=TRANSITIONS,
        actor=actor,
        action_prefix="directline.request",
        refusal=lambda here: RequestConflict(
            _("This request is %(status)s; that cannot be done now.")
            % {"status": RequestStatus(here).label}
        ),
        **changes,
    )
