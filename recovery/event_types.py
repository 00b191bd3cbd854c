"""The recovery orders' event types partners may subscribe to (found by qinqing.events at
start), and the words the audit trail shows for their actions."""

from django.utils.translation import gettext_lazy as _

from qinqing.events.registry import ACTION_LABELS, EVENT_TYPES, EventType

for name, description, label in (
    (
        "recovery_order.raised",
        _("A recovery order for an undue payment was raised."),
        _("recovery order raised"),
    ),
    (
        "recovery_order.paused",
        _("A recovery order was paused by the enterprise's appeal."),
        _("recovery order paused"),
    ),
    (
        "recovery_order.settled",
        _("A recovery order was settled: the money is back."),
        _("recovery order settled"),
    ),
    (
        "recovery_order.waived",
        _("A recovery order was waived by an official."),
        _("recovery order waived"),
    ),
):
    EVENT_TYPES.register(name, EventType(description, "recovery:read", label=label))

for action, label in {
    "recovery_order.collecting": _("recovery order: repayment being collected"),
    "recovery_order.offset": _("recovery order: offset against a payment"),
    "recovery_order.appealed": _("recovery order appealed"),
    "recovery_collection.sent": _("repayment sent to the treasury"),
    "recovery_collection.pending": _("repayment waiting for the treasury"),
    "recovery_collection.confirmed": _("repayment collected"),
    "recovery_collection.failed": _("repayment refused"),
}.items():
    ACTION_LABELS.register(action, label)
