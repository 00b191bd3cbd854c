"""The faults: an offset never pays a negative amount nor takes more than is owed (whatever
a hook answers, and the database refuses it too); two payments for the same enterprise at
once never offset one debt twice (PostgreSQL: real threads)."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import IntegrityError, connections, transaction

from recovery.models import OrderStatus, RecoveryOffset, RecoveryOrder
from sandbox.treasury.models import TreasuryRecord
from subsidies.claims import approve_claim, submit_claim
from subsidies.deductions import PAYMENT_DEDUCTIONS, Deduction, deductions_for
from subsidies.reconciliation import reconcile


def test_a_hook_s_answer_is_clamped_never_negative_never_more_than_the_claim():
    claims = [SimpleNamespace(pk=1, amount=Decimal("100.00")),
              SimpleNamespace(pk=2, amount=Decimal("50.00"))]  # fmt: skip

    def greedy(claims, payable):
        return {1: Decimal("500.00"), 2: Decimal("-20.00"), 3: Decimal("9.00")}

    with pytest.MonkeyPatch.context() as patches:
        patches.setattr(
            PAYMENT_DEDUCTIONS,
            "_entries",
            {"greedy": Deduction(owing=lambda ids: ids, withhold=greedy)},
        )
        assert deductions_for(claims) == {1: Decimal("100.00")}


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_recovering_more_than_is_owed(order):
    with pytest.raises(IntegrityError), transaction.atomic():
        RecoveryOrder.objects.filter(pk=order.pk).update(recovered=Decimal("5000.01"))


def race(count: int, action):
    barrier = threading.Barrier(count)

    def run(index):
        barrier.wait()
        try:
            return action(index)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_payments_at_once_never_offset_one_debt_twice(order, firm, policies, hrss_official):
    member = firm.memberships.first().user
    in_review = [submit_claim(enterprise=firm, policy=policy, actor=member)[0]
                 for policy in policies[1:]]  # fmt: skip
    race(2, lambda index: approve_claim(in_review[index].pk, actor=hrss_official))
    order.refresh_from_db()
    assert order.recovered == Decimal("5000.00") and order.status == OrderStatus.SETTLED
    offsets = list(RecoveryOffset.objects.all())
    assert len(offsets) == 1 and offsets[0].amount == Decimal("5000.00")
    # One of the two payments was withheld entirely, the other paid in full.
    paid = sorted(TreasuryRecord.objects.values_list("amount", flat=True))
    assert paid == [Decimal("5000.00"), Decimal("5000.00")]  # the undue one, and one later
    assert reconcile().problems == []
