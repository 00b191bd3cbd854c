"""Offsetting: the deduction hook subsidies asks when it builds disbursements
(subsidies.deductions.PAYMENT_DEDUCTIONS). In the transaction that books the payments:
the enterprises' outstanding orders are row-locked in id order (two payments for one
enterprise at once wait for each other, so a debt is never offset twice), each payment
takes what the orders still owe, oldest first, never more than is owed nor more than the
payment; the offsets, their ledger legs, the orders' recovered amounts, the budgets and
the settled orders are written in a handful of set-based statements."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from qinqing.audit.services import record_events
from qinqing.bulk import any_of, bulk_insert
from qinqing.transitions import move_many
from subsidies.deductions import repayment_legs, restore_budgets
from subsidies.models import Claim
from subsidies.payments import ledger_legs

from .models import OrderStatus, RecoveryOffset, RecoveryOrder, offset_keys
from .notices import tell
from .notification_kinds import NotificationKind as K


def _locked_orders(enterprise_ids: set[int]) -> list[RecoveryOrder]:
    orders = (RecoveryOrder.objects.filter(any_of("enterprise_id", enterprise_ids),
                                           status=OrderStatus.RAISED)
              .select_related("claim__policy", "claim__version", "enterprise")
              .order_by("pk"))  # fmt: skip
    if connection.vendor == "postgresql":
        orders = orders.select_for_update(of=("self",))
    return list(orders)


def owing_orders(enterprise_ids: set[int]) -> set[int]:
    """The enterprises among these with an order still to recover (one indexed query)."""
    return set(RecoveryOrder.objects.filter(any_of("enterprise_id", enterprise_ids),
                                            status=OrderStatus.RAISED)
               .values_list("enterprise_id", flat=True).distinct())  # fmt: skip


def offset_payments(claims: Sequence[Claim], payable: Mapping[int, Decimal]) -> dict[int, Decimal]:
    """Claim id → what is withheld from its payment for the enterprise's orders."""
    enterprise_ids = {c.enterprise_id for c in claims if payable.get(c.pk, 0) > 0}
    if not enterprise_ids:
        return {}
    orders: dict[int, list[RecoveryOrder]] = defaultdict(list)
    for order in _locked_orders(enterprise_ids):
        orders[order.enterprise_id].append(order)
    if not orders:
        return {}
    withheld: dict[int, Decimal] = {}
    offsets: list[RecoveryOffset] = []
    touched: dict[int, RecoveryOrder] = {}
    for claim in sorted(claims, key=lambda c: c.pk):
        left = payable.get(claim.pk, Decimal(0))
        for order in orders.get(claim.enterprise_id, ()):
            take = min(order.outstanding, left)
            if take <= 0 or order.claim_id == claim.pk:
                continue
            order.recovered += take
            left -= take
            touched[order.pk] = order
            withheld[claim.pk] = withheld.get(claim.pk, Decimal(0)) + take
            offsets.append(RecoveryOffset(order=order, claim=claim, subsidy=payable[claim.pk],
                                          amount=take))  # fmt: skip
    if not offsets:
        return {}
    _book(claims, offsets, list(touched.values()))
    return withheld


def _book(claims: Sequence[Claim], offsets: list[RecoveryOffset],
          orders: list[RecoveryOrder]) -> None:  # fmt: skip
    """The offsets, their two ledger transactions each, what came back of each order and
    of each budget, and the orders paid off settled."""
    by_claim = {c.pk: c for c in claims}
    RecoveryOffset.objects.bulk_create(offsets)
    legs = []
    budgets: dict[int, Decimal] = defaultdict(Decimal)
    for offset in offsets:
        paying, order = by_claim[offset.claim_id], offset.order
        undue = order.claim
        subsidy_key, back_key = offset_keys(order.pk, paying.pk)
        # The withheld part of the subsidy: its budget pays it to the enterprise...
        legs += ledger_legs(key=subsidy_key, amount=offset.amount, claim_id=paying.pk,
                            policy_code=paying.policy.code, version_number=paying.version.number,
                            uscc=paying.enterprise.uscc)  # fmt: skip
        # ...and the enterprise returns it to the budget of the undue payment.
        legs += repayment_legs(key=back_key, amount=offset.amount, claim_id=undue.pk,
                               policy_code=undue.policy.code,
                               version_number=undue.version.number,
                               uscc=paying.enterprise.uscc)  # fmt: skip
        budgets[undue.version_id] += offset.amount
    bulk_insert(legs)
    # Each order's new figure, checked by the database (never above the amount owed).
    RecoveryOrder.objects.bulk_update(orders, ["recovered"])
    restore_budgets(budgets)
    record_events(actor=None, events=[
        ("recovery_order.offset", offset.order, None,
         {"claim": offset.claim_id, "withheld": str(offset.amount),
          "subsidy": str(offset.subsidy)}) for offset in offsets
    ])  # fmt: skip
    paid_off = [order.pk for order in orders if order.outstanding <= 0]
    settled = move_many(RecoveryOrder, paid_off, OrderStatus.SETTLED, settled_at=timezone.now())
    tell(settled, K.RECOVERY_SETTLED)
