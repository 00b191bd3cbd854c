"""The disputes' event types partners may subscribe to (found by qinqing.events at start),
and the words the audit trail shows for the disputes' actions."""

from django.utils.translation import gettext_lazy as _

from qinqing.events.registry import ACTION_LABELS, EVENT_TYPES, EventType

EVENT_TYPES.register(
    "dispute.decided",
    EventType(
        _("A department decided a fact dispute: the fact confirmed or corrected."),
        "disputes:read",
        label=_("fact dispute decided"),
    ),
)

for action, label in {
    "disputes.dispute.raised": _("fact dispute raised"),
    "disputes.dispute.attachment": _("fact dispute evidence attached"),
    "disputes.dispute.confirmed": _("fact dispute: fact confirmed"),
    "disputes.dispute.corrected": _("fact dispute: fact corrected"),
    "disputes.dispute.withdrawn": _("fact dispute withdrawn"),
    "disputes.dispute.deadline_warning": _("fact dispute deadline warning"),
    "disputes.dispute.escalated": _("fact dispute escalated"),
}.items():
    ACTION_LABELS.register(action, label)
