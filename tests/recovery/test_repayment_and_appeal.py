"""Repayment through the (simulated) treasury settles an order once, however often the
task runs or an answer is lost; an appeal through the direct line pauses the order (no
offset, no collection) until it is answered; a correction that makes a paid claim
ineligible raises an order through the service the re-evaluation calls."""

from decimal import Decimal

import pytest
from django.test import override_settings

from directline.models import Request
from directline.services.department_side import answer
from qinqing.errors import Conflict, NotAllowed
from recovery import tasks
from recovery.models import CollectionStatus, Grounds, OrderStatus, RecoveryCollection
from recovery.services import appeal, raise_for_ineligible_claim, request_repayment
from sandbox.treasury.models import TreasuryCollection
from subsidies.models import Budget, LedgerEntry
from subsidies.reconciliation import reconcile
from tests.factories import OfficialFactory, department

pytestmark = pytest.mark.django_db(transaction=True)


def _member(order):
    return order.enterprise.memberships.first().user


def test_a_repayment_settles_the_order_once_even_when_the_task_runs_again(order):
    budget = Budget.objects.get(version=order.claim.version)
    reserved = budget.reserved
    collection = request_repayment(order.pk, actor=_member(order))  # the task runs on commit
    order.refresh_from_db()
    collection.refresh_from_db()
    assert collection.status == CollectionStatus.CONFIRMED
    assert collection.key == f"qinqing-recovery-{order.pk}-1"
    assert order.status == OrderStatus.SETTLED and order.recovered == Decimal("5000.00")
    assert tasks.collect.delay(collection.pk).get() == CollectionStatus.CONFIRMED
    tasks.collect(collection.pk)
    assert TreasuryCollection.objects.get().amount == Decimal("5000.00")
    legs = LedgerEntry.objects.filter(transaction=collection.key)
    assert sorted((leg.account.split(":")[0], leg.debit, leg.credit) for leg in legs) == [
        ("budget", Decimal("0.00"), Decimal("5000.00")),
        ("enterprise", Decimal("5000.00"), Decimal("0.00")),
    ]
    budget.refresh_from_db()
    assert budget.reserved == reserved - Decimal("5000.00")
    order.refresh_from_db()
    assert order.recovered == Decimal("5000.00")
    assert reconcile().problems == []


def test_a_lost_answer_is_settled_by_asking_about_the_same_key(order):
    with override_settings(TREASURY_SIMULATION={"latency_ms": 0, "lost_answer_rate": 1.0}):
        collection = request_repayment(order.pk, actor=_member(order))
    collection.refresh_from_db()
    assert collection.status == CollectionStatus.CONFIRMED
    assert TreasuryCollection.objects.count() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.SETTLED


def test_an_unreachable_treasury_leaves_the_collection_owed_and_the_sweep_collects_once(order):
    with override_settings(TREASURY_SIMULATION={"latency_ms": 0, "error_rate": 1.0}):
        collection = request_repayment(order.pk, actor=_member(order))
    collection.refresh_from_db()
    order.refresh_from_db()
    assert collection.status == CollectionStatus.PENDING and order.status == OrderStatus.COLLECTING
    assert tasks.resume_collections() == 1
    assert tasks.resume_collections() == 0
    order.refresh_from_db()
    assert order.status == OrderStatus.SETTLED and TreasuryCollection.objects.count() == 1
    assert LedgerEntry.objects.filter(transaction=collection.key).count() == 2


def test_a_refused_repayment_puts_the_order_back_outstanding(order):
    order.enterprise.bank_account = ""
    order.enterprise.save()
    with pytest.raises(Conflict):
        request_repayment(order.pk, actor=_member(order))
    assert not RecoveryCollection.objects.exists()


def test_only_the_enterprise_repays_or_appeals(order, hrss_official):
    with pytest.raises(NotAllowed):
        request_repayment(order.pk, actor=hrss_official)
    with pytest.raises(NotAllowed):
        appeal(order.pk, actor=hrss_official, text="no")


def test_an_appeal_pauses_the_order_until_it_is_answered(order, firm, policies, pay):
    member = _member(order)
    appeal(order.pk, actor=member, text="我们的员工人数是真实的")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAUSED
    request = Request.objects.get(pk=order.appeal_id)
    assert request.enterprise == firm and request.policy == order.claim.policy
    # No offset while paused: the next payment is paid in full.
    later = pay(firm, policies[1])
    assert later.disbursement.amount == Decimal("5000.00")
    order.refresh_from_db()
    assert order.recovered == Decimal("0.00")
    # No collection while paused either.
    with pytest.raises(Conflict):
        request_repayment(order.pk, actor=member)
    assert not RecoveryCollection.objects.exists()
    official = OfficialFactory(department=request.department, district=None)
    answer(request.pk, actor=official, text="经核查，维持追回决定。")
    order.refresh_from_db()
    assert order.status == OrderStatus.RAISED
    # Running again: the next payment is offset.
    third = pay(firm, policies[2])
    assert third.disbursement.amount == Decimal("0.00")
    order.refresh_from_db()
    assert order.status == OrderStatus.SETTLED


def test_a_correction_that_makes_a_paid_claim_ineligible_raises_an_order_once(paid_claim):
    order = raise_for_ineligible_claim(paid_claim, "参保人数更正为 6 人，低于 10 人")
    assert order.grounds == Grounds.INELIGIBLE and order.amount == paid_claim.amount
    assert raise_for_ineligible_claim(paid_claim, "again") == order  # one open order a claim


def test_a_claim_not_paid_owes_nothing(firm, policies, hrss_official):
    from subsidies.claims import submit_claim

    claim, _ = submit_claim(enterprise=firm, policy=policies[1],
                            actor=firm.memberships.first().user)  # fmt: skip
    assert raise_for_ineligible_claim(claim, "x") is None
    _ = department
