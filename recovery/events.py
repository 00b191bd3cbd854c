"""What partners hear about recovery orders (qinqing.events): the outbox hook of
RecoveryOrder.transitions, written in the transaction of the change. The enterprise's
USCC and name, the amounts and the grounds; never bank details."""

from __future__ import annotations

from typing import Any

from django.apps import apps

from qinqing.events.services import Event

EVENT_OF_STATUS = {
    status: f"recovery_order.{status}" for status in ("raised", "paused", "settled", "waived")
}


def order_event(order: Any, status: str) -> Event | None:
    event_type = EVENT_OF_STATUS.get(status)
    if event_type is None:
        return None
    enterprise = order.enterprise
    return Event(
        event_type,
        {"order": order.pk, "status": status, "grounds": order.grounds,
         "enterprise": {"uscc": enterprise.uscc, "name": enterprise.name},
         "claim": order.claim_id, "amount": str(order.amount),
         "recovered": str(order.recovered)},
        subject=f"recovery_order:{order.pk}", enterprise_id=enterprise.pk,
        department_id=order.claim.policy.department_id, district_id=enterprise.district_id,
    )  # fmt: skip


def order_events(order_ids: list[int], status: str) -> list[Event]:
    """Many orders' change (qinqing.transitions.move_many): one read."""
    if status not in EVENT_OF_STATUS:
        return []
    orders = apps.get_model("recovery", "RecoveryOrder").objects.filter(pk__in=order_ids)
    return [order_event(order, status)
            for order in orders.select_related("enterprise", "claim__policy")]  # fmt: skip
