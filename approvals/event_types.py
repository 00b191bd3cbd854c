"""The approvals' event types partners may subscribe to (found by qinqing.events at start),
and the words the audit trail shows for the approvals' actions."""

from django.utils.translation import gettext_lazy as _

from qinqing.events.registry import ACTION_LABELS, EVENT_TYPES, EventType

EVENT_TYPES.register(
    "approval.decided",
    EventType(
        _("A department decided an approval item: approved, rejected or approved on commitment."),
        "approvals:read",
        label=_("approval item decided"),
    ),
)
EVENT_TYPES.register(
    "permit.issued",
    EventType(_("A permit was issued for an approved item."), "approvals:read",
              label=_("permit issued")),
)  # fmt: skip

for action, label in {
    "approvals.application.started": _("application started"),
    "approvals.application.answers_saved": _("application answers saved"),
    "approvals.application.submitted": _("application submitted"),
    "approvals.application.approved": _("application approved"),
    "approvals.item.assigned": _("approval item assigned"),
    "approvals.item.clock_paused": _("approval clock paused"),
    "approvals.item.clock_resumed": _("approval clock resumed"),
    "approvals.item.deadline_warning": _("approval deadline warning"),
    "approvals.item.escalated": _("approval item escalated"),
}.items():
    ACTION_LABELS.register(action, label)
