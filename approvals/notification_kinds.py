"""What the approvals tell people (found by qinqing.notifications at start), and who reads
each kind: the applicant hears decisions and supplement requests; the departments new
items, assignments and time limits."""

from django.utils.translation import gettext_lazy as _

from qinqing.notifications.registry import Audience, register_kind

register_kind("approval.decided", _("Approval decisions"), Audience.ENTERPRISE)
register_kind("approval.supplement", _("Supplement requests"), Audience.ENTERPRISE)
register_kind("approval.deadline", _("Approval deadlines"), Audience.OFFICIAL)
