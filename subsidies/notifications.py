"""Telling an enterprise's members what happened to its claims, in the portal and by
e-mail. Who hears is decided here (qinqing.notifications knows users, not enterprises);
the texts are rendered in each recipient's language when sent."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from enterprises.models import EnterpriseMembership
from policies.notification_kinds import POLICY_FITS
from qinqing.notifications.models import Notification
from qinqing.notifications.services import Delivery, notify_many
from qinqing.notifications.text import Message
from subsidies.notification_kinds import NotificationKind

from .models import Claim, ClaimStatus

K = NotificationKind
# The statuses an enterprise hears about, and as which kind (what its members can turn off).
CLAIM_NOTICES: dict[str, str] = {
    ClaimStatus.PAID: K.CLAIM_PAID,
    ClaimStatus.INELIGIBLE: K.CLAIM_INELIGIBLE,
    ClaimStatus.AWAITING_DATA: K.CLAIM_AWAITING_DATA,
    ClaimStatus.PAYMENT_FAILED: K.CLAIM_PAYMENT_FAILED,
    ClaimStatus.OFFERED: POLICY_FITS,
    # Apply-mode policies: the check found the claim eligible and an official reviews it.
    ClaimStatus.IN_REVIEW: K.CLAIM_IN_REVIEW,
    # Eligible, but the amount comes to nothing: the claim ends without a payment.
    ClaimStatus.NOTHING_DUE: K.CLAIM_NOTHING_DUE,
}

# Kind -> (title, body); {amount} is yuan with separators, {policy} the policy's title in
# the recipient's language, {enterprise} the registered name.
TEXTS = {
    K.CLAIM_PAID: (
        _("Subsidy paid: ¥{amount} from {policy}"),
        _("¥{amount} under “{policy}” has been paid to the bank account of {enterprise}."),
    ),
    K.CLAIM_INELIGIBLE: (
        _("Claim not eligible: {policy}"),
        _(
            "The claim of {enterprise} under “{policy}” does not meet the conditions. The claim "
            "page shows each condition and the department data it was checked against."
        ),
    ),
    K.CLAIM_AWAITING_DATA: (
        _("Claim waiting for department data: {policy}"),
        _(
            "Some department data needed to decide the claim of {enterprise} under “{policy}” "
            "is not available yet. The claim is checked again automatically; there is nothing "
            "you need to do."
        ),
    ),
    K.CLAIM_PAYMENT_FAILED: (
        _("Subsidy payment failed: {policy}"),
        _(
            "The payment of ¥{amount} under “{policy}” to {enterprise} did not go through. "
            "Please check the enterprise's bank details on record: it is tried again "
            "automatically once you update your bank details."
        ),
    ),
    K.CLAIM_IN_REVIEW: (
        _("Claim under review: {policy}"),
        _(
            "{enterprise} meets the conditions of “{policy}” (¥{amount}). The issuing "
            "department reviews the claim; the payment follows as soon as it is approved. "
            "There is nothing you need to do."
        ),
    ),
    K.CLAIM_NOTHING_DUE: (
        _("Nothing to pay on your claim: {policy}"),
        _(
            "{enterprise} meets the conditions of “{policy}”, but for this period the amount "
            "comes to ¥0.00, so no payment is made. The claim page shows how the amount was "
            "computed. There is nothing you need to do."
        ),
    ),
    POLICY_FITS: (
        _("Subsidy offered: ¥{amount} from {policy}"),
        _(
            "{enterprise} qualifies for ¥{amount} under “{policy}”. Confirm on the claim page "
            "to receive it; no documents are needed."
        ),
    ),
}


def _messages(claim: Claim, kind: str) -> tuple[Message, Message]:
    title, body = TEXTS[kind]
    params = {
        "amount": f"{claim.amount:,.2f}" if claim.amount is not None else "—",
        "policy": claim.policy,  # its title follows the language it is rendered in
        "enterprise": claim.enterprise.name,
    }
    return Message(title, **params), Message(body, **params)


def _link(claim: Claim) -> str:
    return f"/claims/{claim.pk}/"


def notify_claims(claim_ids: Iterable[int], status: str) -> list[Notification]:
    """Many claims that reached one status at once (a batch chunk's offers or payments):
    one query for the claims, one for the members of all their enterprises, one bulk
    notify. Pass one batch chunk at a time."""
    kind = CLAIM_NOTICES[status]
    claims = Claim.objects.filter(pk__in=list(claim_ids)).select_related("policy", "enterprise")
    if kind == K.CLAIM_AWAITING_DATA:
        claims = claims.filter(checks__lte=1)  # said once; the back-off rechecks repeat it
    claims = list(claims)
    members: dict[int, list[int]] = defaultdict(list)
    for enterprise_id, user_id in EnterpriseMembership.objects.filter(
        enterprise_id__in={claim.enterprise_id for claim in claims}, user__is_active=True
    ).values_list("enterprise_id", "user_id"):
        members[enterprise_id].append(user_id)
    deliveries = []
    for claim in claims:
        title, body = _messages(claim, kind)
        deliveries.extend(
            Delivery(user_id, title, body, _link(claim)) for user_id in members[claim.enterprise_id]
        )
    return notify_many(kind, deliveries)
