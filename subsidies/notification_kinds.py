"""What the claims tell people, kind by kind (each one can be turned off by its recipient),
and who reads it. Registered with qinqing.notifications, which finds this module at start.
An offer is told as the enterprises' one "policies that fit" kind (policies'
notification_kinds.POLICY_FITS)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.notifications.registry import Audience, register_kind


class NotificationKind(models.TextChoices):
    CLAIM_PAID = "claim.paid", _("Subsidy paid")
    CLAIM_INELIGIBLE = "claim.ineligible", _("Claim not eligible")
    CLAIM_AWAITING_DATA = "claim.awaiting_data", _("Claim waiting for department data")
    CLAIM_PAYMENT_FAILED = "claim.payment_failed", _("Subsidy payment failed")
    CLAIM_IN_REVIEW = "claim.in_review", _("Claim under review")
    CLAIM_NOTHING_DUE = "claim.nothing_due", _("Claim decided: nothing to pay")
    CLAIM_OFFER_WITHDRAWN = "claim.offer_withdrawn", _("Subsidy offer withdrawn")
    RECONCILIATION_MISMATCH = "reconciliation.mismatch", _("Payment reconciliation mismatch")


# Reconciliation reaches the auditors; every other claim notice the enterprise's members.
OFFICIAL_KINDS = {NotificationKind.RECONCILIATION_MISMATCH}

for kind in NotificationKind:
    register_kind(kind.value, kind.label,
                  Audience.OFFICIAL if kind in OFFICIAL_KINDS else Audience.ENTERPRISE)  # fmt: skip
