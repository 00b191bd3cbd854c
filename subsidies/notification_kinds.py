"""What the claims tell people, kind by kind (each one can be turned off by its recipient).
Registered with qinqing.notifications, which finds this module at start."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.notifications.registry import NOTIFICATION_KINDS


class NotificationKind(models.TextChoices):
    CLAIM_PAID = "claim.paid", _("Subsidy paid")
    CLAIM_INELIGIBLE = "claim.ineligible", _("Claim not eligible")
    CLAIM_AWAITING_DATA = "claim.awaiting_data", _("Claim waiting for department data")
    CLAIM_OFFERED = "claim.offered", _("Subsidy offered to you")
    CLAIM_PAYMENT_FAILED = "claim.payment_failed", _("Subsidy payment failed")
    CLAIM_IN_REVIEW = "claim.in_review", _("Claim under review")
    RECONCILIATION_MISMATCH = "reconciliation.mismatch", _("Payment reconciliation mismatch")
    POLICY_FITS = "policy.fits", _("A new policy fits your enterprise")


for kind in NotificationKind:
    NOTIFICATION_KINDS.register(kind.value, kind.label)
