"""What the approvals tell people (found by qinqing.notifications at start)."""

from django.utils.translation import gettext_lazy as _

from qinqing.notifications.registry import NOTIFICATION_KINDS

NOTIFICATION_KINDS.register("approval.decided", _("Approval decisions"))
NOTIFICATION_KINDS.register("approval.supplement", _("Supplement requests"))
NOTIFICATION_KINDS.register("approval.deadline", _("Approval deadlines"))
