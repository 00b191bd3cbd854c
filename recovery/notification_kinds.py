"""What recovery tells enterprises, kind by kind (each one can be turned off by its
recipient). Registered with qinqing.notifications, which finds this module at start."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.notifications.registry import Audience, register_kind


class NotificationKind(models.TextChoices):
    RECOVERY_RAISED = "recovery.raised", _("Recovery order raised")
    RECOVERY_PAUSED = "recovery.paused", _("Recovery order paused by an appeal")
    RECOVERY_RESUMED = "recovery.resumed", _("Recovery order resumed after an appeal")
    RECOVERY_SETTLED = "recovery.settled", _("Recovery order settled")
    RECOVERY_WAIVED = "recovery.waived", _("Recovery order waived")
    RECOVERY_REFUSED = "recovery.refused", _("Repayment refused by the treasury")


for kind in NotificationKind:
    register_kind(kind.value, kind.label, Audience.ENTERPRISE)
