"""The claims' event types partners may subscribe to (found by qinqing.events at start),
and the words the audit trail shows for the claims' actions."""

from django.utils.translation import gettext_lazy as _

from qinqing.events.registry import ACTION_LABELS, EVENT_TYPES, EventType

EVENT_TYPES.register(
    "claim.paid",
    EventType(_("A subsidy claim was paid: the treasury confirmed the payment."), "claims:read",
              label=_("claim paid")),
)  # fmt: skip
EVENT_TYPES.register(
    "claim.ineligible",
    EventType(_("A subsidy claim was decided ineligible."), "claims:read",
              label=_("claim not eligible")),
)  # fmt: skip
EVENT_TYPES.register(
    "claim.withdrawn",
    EventType(_("A subsidy claim or offer was withdrawn (an offer: its facts no longer hold)."),
              "claims:read", label=_("claim withdrawn")),
)  # fmt: skip

for action, label in {
    "claim.submitted": _("claim submitted"),
    "claim.checking": _("claim being checked"),
    "claim.eligible": _("claim eligible"),
    "claim.awaiting_data": _("claim waiting for department data"),
    "claim.in_review": _("claim in review"),
    "claim.offered": _("claim offered"),
    "claim.budget_exhausted": _("claim: budget exhausted"),
    "claim.withdrawn": _("claim withdrawn"),
    "claim.paying": _("claim being paid"),
    "claim.payment_failed": _("claim payment failed"),
    "claim.payment_retried": _("claim payment retried"),
    "claim.nothing_due": _("claim: nothing due"),
    "batch_run": _("batch run"),
    "reconciliation.run": _("payment reconciliation run"),
}.items():
    ACTION_LABELS.register(action, label)
