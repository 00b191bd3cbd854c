"""Who may act: the enterprise's side of a request, the officials of its department. The
rules are qinqing.scoping's (active accounts only; an official of an active department,
within their district), applied to one object."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from qinqing.scoping import is_active_user, is_member, official_covers

from ..models import (
    Request,
    RequestStatus,
)
from .refusals import NotAllowed


def is_enterprise_side(user: Any, request: Request) -> bool:
    return (
        is_active_user(user)
        and user.is_enterprise_member
        and is_member(user, request.enterprise_id)
    )


def in_reopened_phase(request: Request) -> bool:
    """Reopened, or waiting for information the supervisor asked for after the reopening."""
    return request.status == RequestStatus.REOPENED or (
        request.status == RequestStatus.INFO_REQUESTED and request.reopened_at is not None
    )


def is_request_official(user: Any, request: Request) -> bool:
    """An official of the request's department, and of its district when they have one;
    once reopened, only the department's supervisors, the one it was reopened to and the
    colleague it is assigned to."""
    if not official_covers(
        user, department_id=request.department_id, district_id=request.district_id
    ):
        return False
    return (
        not in_reopened_phase(request)
        or user.is_supervisor
        or user.pk == request.supervisor_id  # the one it was reopened to (see _supervisor)
        or user.pk == request.assignee_id
    )


def require_enterprise(user: Any, request: Request) -> None:
    if not is_enterprise_side(user, request):
        raise NotAllowed(_("Only the enterprise's members may do this."))


def require_official(user: Any, request: Request) -> None:
    if not is_request_official(user, request):
        raise NotAllowed(
            _("Only an official of the request's department and district may do this.")
        )
