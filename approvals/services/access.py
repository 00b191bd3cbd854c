"""Who may act: the applicant's side of an application, the officials of an item."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from accounts.models import Role
from enterprises.models import EnterpriseMembership

from ..models import (
    Application,
    Item,
)
from .refusals import NotAllowed


def is_applicant_side(user: Any, application: Application) -> bool:
    if not getattr(user, "is_authenticated", False) or user.role != Role.ENTERPRISE:
        return False
    if application.applicant_id == user.pk:
        return True
    return (
        application.enterprise_id is not None
        and EnterpriseMembership.objects.filter(
            enterprise_id=application.enterprise_id, user=user
        ).exists()
    )


def is_item_official(user: Any, item: Item) -> bool:
    """An official of the item's department, and of its district when they have one."""
    return (
        getattr(user, "is_authenticated", False)
        and user.role == Role.OFFICIAL
        and user.department_id == item.department_id
        and (user.district_id is None or user.district_id == item.district_id)
    )


def require_applicant(user: Any, application: Application) -> None:
    if not is_applicant_side(user, application):
        raise NotAllowed(_("Only the applicant or the enterprise's members may do this."))


def require_official(user: Any, item: Item) -> None:
    if not is_item_official(user, item):
        raise NotAllowed(_("Only an official of the item's department and district may do this."))
