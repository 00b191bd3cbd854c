"""What the direct line tells people (found by qinqing.notifications at start), and who
reads each kind: a request's news reaches both sides (the department of new and reopened
requests, the enterprise of answers); time limits only the departments. The policy push
is sent as the enterprises' one "policies that fit" kind (policies/notification_kinds.py)."""

from django.utils.translation import gettext_lazy as _

from qinqing.notifications.registry import Audience, register_kind

register_kind("directline.request", _("Requests to the government"), Audience.BOTH)
register_kind("directline.deadline", _("Request deadlines"), Audience.OFFICIAL)
