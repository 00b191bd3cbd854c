"""A recovery order raised by a breached commitment, and settled by offsetting it against
the enterprise's next payments: partly, then fully; the ledger and the reconciliation
balance, and the budget gets the money back."""

from decimal import Decimal

import pytest
from django.test import Client

from credit.commitments.services import breach_commitment
from recovery.models import Grounds, OrderStatus, RecoveryOffset, RecoveryOrder
from sandbox.treasury.models import TreasuryRecord
from subsidies.models import Budget, ClaimStatus, Disbursement, LedgerEntry
from subsidies.reconciliation import reconcile
from tests.factories import OfficialFactory, department, member_of

pytestmark = pytest.mark.django_db(transaction=True)


def _balance(account: str) -> Decimal:
    legs = LedgerEntry.objects.filter(account=account)
    return sum((leg.credit - leg.debit for leg in legs), Decimal(0))


def test_a_breached_commitment_raises_an_order_for_its_paid_claim(paid_claim, commitment_for):
    commitment = commitment_for(paid_claim)
    official = OfficialFactory(department=department("hrss"), district=None)
    breach_commitment(commitment.pk, actor=official, reason="员工人数不实")
    order = RecoveryOrder.objects.get()
    assert order.claim == paid_claim and order.grounds == Grounds.BREACH
    assert order.amount == paid_claim.amount == Decimal("5000.00")
    assert order.status == OrderStatus.RAISED and order.commitment == commitment
    assert order.reason == "员工人数不实"
    members = paid_claim.enterprise.memberships.values_list("user_id", flat=True)
    from qinqing.notifications.models import Notification

    notice = Notification.objects.filter(kind="recovery.raised", recipient_id__in=members)[0]
    assert "5,000.00" in notice.title and notice.link == f"/recovery/{order.pk}/"


def test_a_breach_of_a_commitment_for_no_payment_raises_nothing(paid_claim, commitment_for):
    commitment = commitment_for(paid_claim)
    commitment.subject_kind, commitment.subject_ref = "approval_item", "approvals.item:1"
    commitment.save()
    breach_commitment(commitment.pk, actor=OfficialFactory(department=department("hrss"),
                                                           district=None), reason="x")  # fmt: skip
    assert not RecoveryOrder.objects.exists()


def test_offsets_settle_an_order_partly_then_fully(firm, policies, pay, paid_claim, hrss_official):
    from recovery.services import open_order

    undue_budget = Budget.objects.get(version=paid_claim.version)
    reserved_before = undue_budget.reserved
    order, _ = open_order(claim=paid_claim, grounds=Grounds.DECISION, reason="paid in error",
                          actor=hrss_official, amount=Decimal("3000.00"))  # fmt: skip
    second = pay(firm, policies[1])
    assert second.status == ClaimStatus.PAID and second.amount == Decimal("5000.00")
    assert second.disbursement.amount == Decimal("2000.00")  # 5000 less the 3000 withheld
    assert TreasuryRecord.objects.get(key=second.disbursement.idempotency_key).amount == Decimal(
        "2000.00")  # fmt: skip
    order.refresh_from_db()
    assert order.recovered == Decimal("3000.00") and order.status == OrderStatus.SETTLED
    offset = RecoveryOffset.objects.get()
    assert (offset.subsidy, offset.amount) == (Decimal("5000.00"), Decimal("3000.00"))
    undue_budget.refresh_from_db()
    assert undue_budget.reserved == reserved_before - Decimal("3000.00")
    # The enterprise's account: 5000 + 5000 received, 3000 returned = what reached its bank.
    account = f"enterprise:{firm.uscc}"
    assert _balance(account) == Decimal("7000.00")
    assert sum(TreasuryRecord.objects.values_list("amount", flat=True)) == Decimal("7000.00")
    run = reconcile()
    assert run.problems == []
    # The enterprise sees both amounts on the claim's page.
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(member_of(firm))
    page = client.get(f"/claims/{second.pk}/").content.decode()
    assert "¥3,000.00 of this subsidy was withheld" in page and "¥2,000.00 was paid" in page


def test_an_offset_larger_than_the_payment_takes_it_to_zero_and_the_rest_stays_owed(
    firm, policies, pay, paid_claim, hrss_official
):
    from recovery.services import open_order

    second = pay(firm, policies[1])  # paid in full: no order yet
    order, _ = open_order(claim=paid_claim, grounds=Grounds.DECISION, reason="paid in error",
                          actor=hrss_official, amount=Decimal("5000.00"))  # fmt: skip
    # Raise a second order on the second claim too: 8000 owed in all.
    other, _ = open_order(claim=second, grounds=Grounds.DECISION, reason="paid in error",
                          actor=hrss_official, amount=Decimal("3000.00"))  # fmt: skip
    sent_before = TreasuryRecord.objects.count()
    third = pay(firm, policies[2])
    # 5000 due, 8000 owed: all 5000 withheld, nothing (zero) sent to the treasury.
    assert third.disbursement.amount == Decimal("0.00")
    assert TreasuryRecord.objects.count() == sent_before
    assert third.status == ClaimStatus.NOTHING_DUE
    order.refresh_from_db()
    other.refresh_from_db()
    assert order.recovered == Decimal("5000.00") and order.status == OrderStatus.SETTLED
    assert other.recovered == Decimal("0.00") and other.status == OrderStatus.RAISED
    assert other.outstanding == Decimal("3000.00")
    assert all(o.amount > 0 for o in RecoveryOffset.objects.all())
    assert not Disbursement.objects.filter(amount__lt=0).exists()
    assert reconcile().problems == []
    # The claim's page says where the money went, not "the amount comes to nothing".
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(member_of(firm))
    page = client.get(f"/claims/{third.pk}/").content.decode()
    assert "Offset in full against money owed back" in page and "comes to nothing" not in page
    assert "¥5,000.00 of this subsidy was withheld" in page
