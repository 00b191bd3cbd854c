"""The approvals' event types partners may subscribe to (found by qinqing.events at start)."""

from django.utils.translation import gettext_lazy as _

from qinqing.events.registry import EVENT_TYPES, EventType

EVENT_TYPES.register(
    "approval.decided",
    EventType(
        _("A department decided an approval item: approved, rejected or approved on commitment."),
        "approvals:read",
    ),
)
EVENT_TYPES.register(
    "permit.issued", EventType(_("A permit was issued for an approved item."), "approvals:read")
)
