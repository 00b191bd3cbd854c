"""The words the audit trail shows for the register's actions (found by qinqing.events)."""

from django.utils.translation import gettext_lazy as _

from qinqing.events.registry import ACTION_LABELS

for action, label in {
    "enterprise.registered": _("enterprise registered"),
    "enterprise.contact_updated": _("enterprise contact details updated"),
    "enterprise.member_added": _("member added to an enterprise"),
    "enterprise.revoked": _("enterprise registration revoked"),
    "membership.create": _("membership created"),
}.items():
    ACTION_LABELS.register(action, label)
