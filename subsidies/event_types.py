"""The claims' event types partners may subscribe to (found by qinqing.events at start)."""

from django.utils.translation import gettext_lazy as _

from qinqing.events.registry import EVENT_TYPES, EventType

EVENT_TYPES.register(
    "claim.paid",
    EventType(_("A subsidy claim was paid: the treasury confirmed the payment."), "claims:read"),
)
EVENT_TYPES.register(
    "claim.ineligible", EventType(_("A subsidy claim was decided ineligible."), "claims:read")
)
