"""Who may act: the enterprise's side of a request, the officials of its department."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from accounts.models import Role
from enterprises.models import EnterpriseMembership

from ..models import (
    Request,
    RequestStatus,
)
from .refusals import NotAllowed


def is_enterprise_side(user: Any, request: Request) -> bool:
    return (
        getattr(user, "is_authenticated", False)
        and user.role == Role.ENTERPRISE
        and EnterpriseMembership.objects.filter(
            enterprise_id=request.enterprise_id, user=user
        ).exists()
    )


def is_request_official(user: Any, request: Request) -> bool:
    """An official of the request's department, and of its district when they have one;
    once reopened, only the department's supervisors."""
    if not (
        getattr(user, "is_authenticated", False)
        and user.role == Role.OFFICIAL
        and user.department_id == request.department_id
        and (user.district_id is None or user.district_id == request.district_id)
    ):
        return False
    return (
        request.status != RequestStatus.REOPENED
        or user.is_supervisor
        or user.pk == request.supervisor_id  # the one it was reopened to (see _supervisor)
    )


def require_enterprise(user: Any, request: Request) -> None:
    if not is_enterprise_side(user, request):
        raise NotAllowed(_("Only the enterprise's members may do this."))


def require_official(user: Any, request: Request) -> None:
    if not is_request_official(user, request):
        raise NotAllowed(
            _("Only an official of the request's department and district may do this.")
        )
