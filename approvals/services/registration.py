"""Enterprise establishment: the organisation code issued and the enterprise registered once
every item is approved."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from enterprises.models import Enterprise
from enterprises.services import register_enterprise
from qinqing.identifiers import new_uscc

from ..models import (
    Application,
)


def issue_uscc(application: Application) -> str:
    """`91<district code>MA<6 digits><org check><check>`: the organisation code (GB 11714,
    its own check character) inside the USCC (GB 32100). The serial starts at the
    application's id and steps on by a prime while a code is already registered (demo
    data shares the range)."""
    if application.issued_uscc:
        return application.issued_uscc
    division = application.district.admin_code if application.district else "330100"
    for attempt in range(1000):
        serial = (application.pk + attempt * 7_919) % 1_000_000
        code = new_uscc(division, f"MA{serial:06d}")
        if not Enterprise.objects.filter(uscc=code).exists():
            return code
    raise RuntimeError("no free organisation code in this district's range")


def register_new_enterprise(application: Application, actor: Any) -> Enterprise:
    answers = application.answers
    enterprise = register_enterprise(
        uscc=application.issued_uscc or issue_uscc(application),
        name=answers["enterprise_name"],
        district=application.district,
        industry_division=answers["industry_division"],
        registered_capital=Decimal(answers["registered_capital"]),
        legal_representative=answers["legal_representative"],
        # Given on the sheet, so that the enterprise's first payment has an account to go to.
        bank_name=answers.get("bank_name") or "",
        bank_account=answers.get("bank_account") or "",
        founder=application.applicant,
        actor=actor,
    )
    application.created_enterprise = enterprise
    application.enterprise = enterprise
    application.save(update_fields=["created_enterprise", "enterprise", "updated_at"])
    return enterprise
