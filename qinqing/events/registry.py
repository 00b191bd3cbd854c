"""The event types partners may subscribe to: the code, and what it means."""

from django.utils.translation import gettext_lazy as _

EVENT_TYPES = {
    "claim.paid": _("A subsidy claim was paid: the treasury confirmed the payment."),
    "claim.ineligible": _("A subsidy claim was decided ineligible."),
    "approval.decided": _(
        "A department decided an approval item: approved, rejected or approved on commitment."
    ),
    "permit.issued": _("A permit was issued for an approved item."),
    "credit.record_added": _("A credit record was added for an enterprise."),
}


def event_type_choices() -> list[tuple[str, str]]:
    return [(code, code) for code in EVENT_TYPES]
