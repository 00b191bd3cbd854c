"""What the direct line tells people (found by qinqing.notifications at start)."""

from django.utils.translation import gettext_lazy as _

from qinqing.notifications.registry import NOTIFICATION_KINDS

NOTIFICATION_KINDS.register("directline.request", _("Requests to the government"))
NOTIFICATION_KINDS.register("directline.deadline", _("Request deadlines"))
NOTIFICATION_KINDS.register("policy.push", _("Policies that fit your enterprise"))
