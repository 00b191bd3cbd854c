"""Collecting a recovery order's outstanding amount through the treasury gateway
(subsidies.gateway: `collect`, `collection_status`). The collection's key is the order's
and the attempt's: a task delivered twice, or an answer lost, asks the treasury about the
same key and never collects twice; booking is a conditional move of the collection (sent
→ confirmed), so the ledger legs and the money back are written once. Slow work (the
treasury) happens between transactions, never under a lock."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from qinqing.bulk import bulk_insert
from qinqing.transitions import move, move_many
from subsidies.deductions import repayment_legs, restore_budgets
from subsidies.gateway import GatewayError, OutcomeUnknown, PaymentRefused, gateway

from .models import CollectionStatus, OrderStatus, RecoveryCollection
from .notices import tell
from .notification_kinds import NotificationKind as K
from .services import locked_order

C = CollectionStatus


def collect(collection_id: int) -> str:
    """Send one collection (again, with its key, if it was sent before) and book the
    answer. Raises GatewayError when the treasury could not be reached (the task retries);
    returns the collection's status."""
    with transaction.atomic():
        collection = (RecoveryCollection.objects.select_for_update(of=("self",))
                      .filter(pk=collection_id).first())  # fmt: skip
        if collection is None or collection.status not in (C.PENDING, C.SENT):
            return collection.status if collection else "missing"
        move(collection, C.SENT, attempts=F("attempts") + 1)
    treasury = gateway()
    try:
        answer = treasury.collect(key=collection.key, amount=collection.amount,
                                  account=collection.account)  # fmt: skip
    except OutcomeUnknown:
        try:
            answer = treasury.collection_status(key=collection.key)
        except GatewayError:
            return C.SENT  # the sweep asks again by the same key
        if answer.status != "confirmed":
            return C.SENT
    except PaymentRefused as refusal:
        refuse(collection.pk, str(refusal))
        return C.FAILED
    except GatewayError as error:
        with transaction.atomic():
            move_many(RecoveryCollection, [collection.pk], C.PENDING, last_error=str(error)[:300])
        raise
    if answer.status == "confirmed":
        confirm(collection.pk, answer.reference)
        return C.CONFIRMED
    refuse(collection.pk, answer.status)
    return C.FAILED


def confirm(collection_id: int, reference: str) -> bool:
    """The treasury collected it: booked once (the order, then the collection, locked)."""
    with transaction.atomic():
        order_id = RecoveryCollection.objects.values_list("order_id", flat=True).get(
            pk=collection_id)  # fmt: skip
        order = locked_order(order_id)
        moved = move_many(RecoveryCollection, [collection_id], C.CONFIRMED,
                          rows={collection_id: {"reference": reference}},
                          confirmed_at=timezone.now())  # fmt: skip
        if not moved:
            return False  # booked already by another delivery
        collection = RecoveryCollection.objects.get(pk=collection_id)
        undue = order.claim
        bulk_insert(repayment_legs(key=collection.key, amount=collection.amount,
                                   claim_id=undue.pk, policy_code=undue.policy.code,
                                   version_number=undue.version.number,
                                   uscc=order.enterprise.uscc))  # fmt: skip
        restore_budgets({undue.version_id: collection.amount})
        order.recovered = min(order.amount, order.recovered + collection.amount)
        if order.recovered >= order.amount:
            move(order, OrderStatus.SETTLED, recovered=order.recovered, settled_at=timezone.now())
            tell([order.pk], K.RECOVERY_SETTLED)
        elif order.status == OrderStatus.COLLECTING:
            move(order, OrderStatus.RAISED, recovered=order.recovered)
        else:
            order.save(update_fields=["recovered", "updated_at"])
    return True


def refuse(collection_id: int, error: str) -> None:
    """The treasury will not collect it: the order is outstanding again (offset against
    the next payments, or repaid once more), and the enterprise is told."""
    with transaction.atomic():
        order_id = RecoveryCollection.objects.values_list("order_id", flat=True).get(
            pk=collection_id)  # fmt: skip
        order = locked_order(order_id)
        failed = move_many(RecoveryCollection, [collection_id], C.FAILED,
                           rows={collection_id: {"last_error": error[:300]}})  # fmt: skip
        if failed and order.status == OrderStatus.COLLECTING:
            move(order, OrderStatus.RAISED)
            tell([order.pk], K.RECOVERY_REFUSED)
