"""Recovery's part of the payment reconciliation (subsidies.deductions.RECONCILERS): the
repayments whose answer was lost are settled by asking the treasury about their keys; each
repayment and each offset is compared with its ledger legs and, for repayments, with the
treasury's books; each order's recovered amount with what its offsets and repayments
brought back."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from subsidies.deductions import Findings
from subsidies.gateway import GatewayError
from subsidies.models import LedgerEntry

from .collection import confirm
from .models import CollectionStatus, RecoveryCollection, RecoveryOffset, RecoveryOrder, offset_keys

ZERO = Decimal("0.00")


def _legs(keys: list[str]) -> dict[str, tuple[Decimal, Decimal]]:
    return {row["transaction"]: (row["debit"], row["credit"]) for row in
            LedgerEntry.objects.filter(transaction__in=keys).values("transaction")
            .annotate(debit=Sum("debit"), credit=Sum("credit"))}  # fmt: skip


def reconcile_recovery(treasury: Any) -> Findings:
    found = Findings()
    for pk, key in RecoveryCollection.objects.filter(status=CollectionStatus.SENT).values_list(
            "pk", "key"):  # fmt: skip
        found.checked += 1
        try:
            answer = treasury.collection_status(key=key)
        except GatewayError as error:
            found.problems.append(f"{key}: the treasury could not be asked ({error})")
            continue
        if answer.status == "confirmed" and confirm(pk, answer.reference):
            found.settled += 1
    back: dict[int, Decimal] = defaultdict(Decimal)
    collected = list(RecoveryCollection.objects.filter(status=CollectionStatus.CONFIRMED)
                     .values_list("order_id", "key", "amount"))  # fmt: skip
    legs = _legs([key for _order, key, _amount in collected])
    for order_id, key, amount in collected:
        found.checked += 1
        back[order_id] += amount
        debit, credit = legs.get(key, (ZERO, ZERO))
        if not (debit == credit == amount):
            found.problems.append(f"{key}: ledger {debit}/{credit} ≠ collected {amount}")
        if treasury.collection_status(key=key).status != "confirmed":
            found.problems.append(f"{key}: not in the treasury's records")
    offsets = list(RecoveryOffset.objects.values_list("order_id", "claim_id", "amount"))
    legs = _legs([key for order_id, claim_id, _a in offsets
                  for key in offset_keys(order_id, claim_id)])  # fmt: skip
    for order_id, claim_id, amount in offsets:
        found.checked += 1
        back[order_id] += amount
        for key in offset_keys(order_id, claim_id):
            debit, credit = legs.get(key, (ZERO, ZERO))
            if not (debit == credit == amount):
                found.problems.append(f"{key}: ledger {debit}/{credit} ≠ withheld {amount}")
    for pk, recovered in RecoveryOrder.objects.values_list("pk", "recovered"):
        if back.get(pk, ZERO) != recovered:
            found.problems.append(f"recovery order {pk}: recovered {recovered} ≠ "
                                  f"offsets and repayments {back.get(pk, ZERO)}")  # fmt: skip
    return found
