"""Who may manage a campaign: officials of its department."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from ..errors import CreditNotAllowed
from .models import (
    InspectionCampaign,
)


def may_manage(user: Any, campaign: InspectionCampaign) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.is_official
        and user.department_id == campaign.department_id
    )


def require_manager(user: Any, campaign: InspectionCampaign) -> None:
    if not may_manage(user, campaign):
        raise CreditNotAllowed(_("Only officials of the campaign's department may do this."))
