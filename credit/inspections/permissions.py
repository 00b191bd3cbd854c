"""Who may manage a campaign: active officials of its department."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from qinqing.scoping import official_covers

from ..errors import CreditNotAllowed
from .models import InspectionCampaign


def may_manage(user: Any, campaign: InspectionCampaign) -> bool:
    # A campaign is its department's, whichever districts it covers: the official's own
    # district (or none) is never a reason to refuse.
    return official_covers(
        user,
        department_id=campaign.department_id,
        district_id=getattr(user, "district_id", None),
    )


def require_manager(user: Any, campaign: InspectionCampaign) -> None:
    if not may_manage(user, campaign):
        raise CreditNotAllowed(_("Only officials of the campaign's department may do this."))
