"""Telling an enterprise's members about its recovery orders, in both languages (the texts
are rendered in each recipient's language when sent), once the change is committed."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from enterprises.models import EnterpriseMembership
from qinqing.notifications.services import Delivery, notify_many
from qinqing.notifications.text import Message

from .models import RecoveryOrder
from .notification_kinds import NotificationKind

K = NotificationKind
# Kind → (title, body); {amount} and {outstanding} in yuan, {policy} the policy's title in
# the recipient's language, {enterprise} the registered name, {grounds} the grounds.
TEXTS = {
    K.RECOVERY_RAISED: (
        _("Recovery order: ¥{amount} under {policy} to be returned"),
        _(
            "{enterprise} received ¥{amount} under “{policy}” that was not due ({grounds}). "
            "It will be withheld from your next subsidy payments, or you can repay it now "
            "on the order's page. If you disagree, appeal from the same page: the order is "
            "paused until your appeal is answered."
        ),
    ),
    K.RECOVERY_PAUSED: (
        _("Recovery order paused: your appeal is under review"),
        _(
            "Nothing is withheld or collected for the recovery order of ¥{amount} under "
            "“{policy}” until the department answers your appeal."
        ),
    ),
    K.RECOVERY_RESUMED: (
        _("Your appeal was answered: recovery order resumed"),
        _(
            "The department answered the appeal of {enterprise}. ¥{outstanding} of the "
            "recovery order under “{policy}” is still owed; the order's page says how it is "
            "settled."
        ),
    ),
    K.RECOVERY_SETTLED: (
        _("Recovery order settled: ¥{amount} returned"),
        _(
            "The recovery order of {enterprise} under “{policy}” is settled: ¥{amount} has "
            "been returned to the budget. There is nothing more to do."
        ),
    ),
    K.RECOVERY_WAIVED: (
        _("Recovery order waived"),
        _(
            "The recovery order of {enterprise} under “{policy}” was waived by the "
            "department: nothing more is owed. The order's page gives the reason."
        ),
    ),
    K.RECOVERY_REFUSED: (
        _("Repayment refused by the treasury"),
        _(
            "The treasury could not collect ¥{outstanding} from the account of {enterprise} "
            "for the recovery order under “{policy}”. It will be withheld from your next "
            "subsidy payments, or you can try again on the order's page."
        ),
    ),
}


def link(order: RecoveryOrder) -> str:
    return f"/recovery/{order.pk}/"


def tell(order_ids: list[int], kind: str) -> None:
    """The members of each order's enterprise hear of it, once this commits."""
    if order_ids:
        transaction.on_commit(lambda: _send(order_ids, kind), robust=True)


def _send(order_ids: list[int], kind: str) -> None:
    orders = list(RecoveryOrder.objects.filter(pk__in=order_ids)
                  .select_related("enterprise", "claim__policy"))  # fmt: skip
    members: dict[int, list[int]] = {}
    for enterprise_id, user_id in EnterpriseMembership.objects.filter(
        enterprise_id__in={o.enterprise_id for o in orders}, user__is_active=True
    ).values_list("enterprise_id", "user_id"):
        members.setdefault(enterprise_id, []).append(user_id)
    title, body = TEXTS[kind]
    deliveries = []
    for order in orders:
        params = {"amount": f"{order.amount:,.2f}", "outstanding": f"{order.outstanding:,.2f}",
                  "policy": order.claim.policy, "enterprise": order.enterprise.name,
                  "grounds": order.get_grounds_display}  # fmt: skip
        deliveries += [
            Delivery(user_id, Message(title, **params), Message(body, **params), link(order))
            for user_id in members.get(order.enterprise_id, [])
        ]
    notify_many(kind, deliveries)
