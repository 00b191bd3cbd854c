"""Who may act: the applicant's side of an application, the officials of an item. The rules
are qinqing.scoping's (active accounts only; an official of an active department, within
their district), applied to one object."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from qinqing.scoping import is_active_user, is_member, official_covers

from ..models import (
    Application,
    Item,
)
from .refusals import NotAllowed


def is_applicant_side(user: Any, application: Application) -> bool:
    """The applicant, or a member of the applying enterprise (enterprise users only)."""
    if not (is_active_user(user) and user.is_enterprise_member):
        return False
    return application.applicant_id == user.pk or is_member(user, application.enterprise_id)


def is_item_official(user: Any, item: Item) -> bool:
    """An official of the item's department, and of its district when they have one."""
    return official_covers(user, department_id=item.department_id, district_id=item.district_id)


def require_applicant(user: Any, application: Application) -> None:
    if not is_applicant_side(user, application):
        raise NotAllowed(_("Only the applicant or the enterprise's members may do this."))


def require_official(user: Any, item: Item) -> None:
    if not is_item_official(user, item):
        raise NotAllowed(_("Only an official of the item's department and district may do this."))
