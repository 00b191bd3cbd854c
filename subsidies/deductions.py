"""What may be withheld from a payment, and the ledger legs of money coming back.

Apps above subsidies (recovery) register a hook in `PAYMENT_DEDUCTIONS`; subsidies asks
every hook once per set of disbursements it builds (a batch chunk's thousands, or one
claim), inside the transaction that books them, so a hook may lock and book what it
withholds with them. Subsidies never imports the apps that fill it. `RECONCILERS` lets
the same apps add their own comparisons to the payment reconciliation."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import F, Value
from django.db.models.functions import Greatest

from qinqing.registry import Registry

from .models import Budget, Claim, LedgerEntry, budget_account, enterprise_account

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Deduction:
    """A way money is withheld from payments. `owing(enterprise_ids)`: which of these
    enterprises it could withhold from, in one query (a batch chunk builds claim objects
    for those alone: for two thousand claims, building them all cost more than paying
    them). `withhold(claims, payable)`: claims being paid (their enterprise loaded),
    payable the amount still payable on each (claim id → yuan); returns claim id →
    amount withheld."""

    owing: Callable[[set[int]], set[int]]
    withhold: Callable[[Sequence[Claim], Mapping[int, Decimal]], Mapping[int, Decimal]]


PAYMENT_DEDUCTIONS: Registry[Deduction] = Registry("payment deductions")


def owing(enterprise_ids: set[int]) -> set[int]:
    """The enterprises among these that some registered deduction could withhold from."""
    found: set[int] = set()
    for _name, deduction in PAYMENT_DEDUCTIONS.items():
        if enterprise_ids:
            found |= deduction.owing(enterprise_ids)
    return found


@dataclass
class Findings:
    """What a reconciler checked, settled and found wrong (words for the report)."""

    checked: int = 0
    settled: int = 0
    problems: list[str] = field(default_factory=list)


# name → reconciler(treasury) → Findings; run by subsidies.reconciliation.reconcile().
RECONCILERS: Registry[Callable[[Any], Findings]] = Registry("reconcilers")


def deductions_for(claims: Sequence[Claim]) -> dict[int, Decimal]:
    """Claim id → what the registered hooks withhold from its payment: never negative,
    never more than the claim's amount, whatever a hook answers. Set-based: each hook is
    asked once for all the claims."""
    payable = {c.pk: c.amount for c in claims if c.amount is not None and c.amount > 0}
    withheld: dict[int, Decimal] = {}
    if not payable:
        return withheld
    for _name, deduction in PAYMENT_DEDUCTIONS.items():
        for claim_id, amount in deduction.withhold(claims, dict(payable)).items():
            if claim_id not in payable or amount is None or amount <= 0:
                continue
            taken = min(Decimal(amount), payable[claim_id])
            payable[claim_id] -= taken
            withheld[claim_id] = withheld.get(claim_id, ZERO) + taken
    return withheld


def repayment_legs(*, key: str, amount: Decimal, claim_id: int, policy_code: str,
                   version_number: int, uscc: str) -> list[LedgerEntry]:  # fmt: skip
    """Money coming back: the enterprise's account pays, the budget account receives (the
    mirror of payments.ledger_legs)."""
    return [
        LedgerEntry(transaction=key, claim_id=claim_id, debit=amount,
                    account=enterprise_account(uscc)),
        LedgerEntry(transaction=key, claim_id=claim_id, credit=amount,
                    account=budget_account(policy_code, version_number)),
    ]  # fmt: skip


def restore_budgets(amounts: Mapping[int, Decimal]) -> None:
    """The budget gets the money back (policy version id → yuan): what was reserved for the
    undue payments is released, one UPDATE per version (never below zero)."""
    for version_id, amount in sorted(amounts.items()):
        if amount > 0:
            Budget.objects.filter(version_id=version_id).update(
                reserved=Greatest(F("reserved") - amount, Value(ZERO))
            )
