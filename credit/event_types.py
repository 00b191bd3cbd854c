"""Credit's event types partners may subscribe to (found by qinqing.events at start)."""

from django.utils.translation import gettext_lazy as _

from qinqing.events.registry import EVENT_TYPES, EventType

EVENT_TYPES.register(
    "credit.record_added",
    EventType(_("A credit record was added for an enterprise."), "credit:read"),
)
