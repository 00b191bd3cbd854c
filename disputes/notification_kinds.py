"""What fact disputes tell people (found by qinqing.notifications at start): a dispute's
news reaches both sides (the department of new disputes, the enterprise of each step);
time limits only the departments."""

from django.utils.translation import gettext_lazy as _

from qinqing.notifications.registry import Audience, register_kind

DISPUTE_KIND = "disputes.dispute"
DEADLINE_KIND = "disputes.deadline"

register_kind(DISPUTE_KIND, _("Fact disputes"), Audience.BOTH)
register_kind(DEADLINE_KIND, _("Fact dispute deadlines"), Audience.OFFICIAL)
