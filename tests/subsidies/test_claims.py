"""Claims from click to cash in the embedded mode (tasks run at once): decided with the
facts from the hub, paid once, the ledger balanced; and the ways it must not go wrong."""

from decimal import Decimal
from unittest import mock

import pytest

from datahub.models import DataCall
from policies.models import Policy
from sandbox.treasury.models import TreasuryRecord
from sandbox.treasury.simulation import SimulatedTreasury
from subsidies.claims import submit_claim
from subsidies.errors import ClaimRefused
from subsidies.gateway import OutcomeUnknown, PaymentResult
from subsidies.models import Budget, Claim, ClaimStatus, Disbursement, LedgerEntry
from subsidies.payments import pay_claims
from subsidies.pipeline import check
from subsidies.reconciliation import reconcile
from tests.factories import EnterpriseFactory, department, member_of

from .conftest import policy_for_everyone

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def policy(reference_data, officials_pair):
    """Everyone active qualifies, 5000 each. Published in apply mode so that no batch run
    starts, then switched to automatic: the claims in these tests are paid at once (apply
    mode's review: test_review.py)."""
    author, approver = officials_pair
    EnterpriseFactory.create_batch(3)
    policy = policy_for_everyone(code="jobs", title="稳岗补贴", benefit_type="employment_subsidy",
                                 author=author, approver=approver)  # fmt: skip
    Policy.objects.filter(pk=policy.pk).update(delivery_mode="automatic")
    policy.refresh_from_db()
    return policy


@pytest.fixture
def officials_pair(reference_data):
    from tests.factories import OfficialFactory

    return (
        OfficialFactory(department=department("hrss"), district=None, username="a1"),
        OfficialFactory(department=department("hrss"), district=None, username="a2"),
    )


def test_a_claim_is_decided_and_paid_at_once(policy):
    enterprise = EnterpriseFactory()
    claimant = member_of(enterprise)
    claim, created = submit_claim(enterprise=enterprise, policy=policy, actor=claimant)
    assert created
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    assert claim.amount == Decimal("5000.00")
    assert [row["id"] for row in claim.decision["criteria"]] == ["staff", "active"]
    assert set(claim.facts) == {"hrss.insured_employees", "market.registration_status"}
    disbursement = claim.disbursement
    assert disbursement.idempotency_key == f"qinqing-claim-{claim.pk}"
    assert disbursement.reference.startswith("HZT")
    legs = LedgerEntry.objects.filter(transaction=disbursement.idempotency_key)
    assert sum(leg.debit for leg in legs) == sum(leg.credit for leg in legs) == claim.amount
    assert Budget.objects.get(version=claim.version).paid == claim.amount
    assert DataCall.objects.filter(purpose__startswith=f"subsidies.claim:{claim.pk}").exists()


def test_a_second_submission_returns_the_first_claim(policy):
    enterprise = EnterpriseFactory()
    claimant = member_of(enterprise)
    first, _ = submit_claim(enterprise=enterprise, policy=policy, actor=claimant)
    again, created = submit_claim(enterprise=enterprise, policy=policy, actor=claimant)
    assert (again.pk, created) == (first.pk, False)
    assert Claim.objects.count() == 1 and TreasuryRecord.objects.count() == 1


def test_checking_or_paying_twice_pays_once(policy):
    from subsidies.models import DisbursementStatus

    from .conftest import paying_claim

    enterprise = EnterpriseFactory()
    claim, _ = submit_claim(enterprise=enterprise, policy=policy, actor=member_of(enterprise))
    check(claim.pk)  # a redelivered check of a claim already paid
    unpaid = paying_claim(policy, treasury_paid=False, status=DisbursementStatus.PENDING)
    pay_claims([unpaid.pk])
    pay_claims([unpaid.pk])  # a redelivered payment task
    unpaid.refresh_from_db()
    assert unpaid.status == ClaimStatus.PAID
    assert TreasuryRecord.objects.count() == 2  # one for each claim
    assert LedgerEntry.objects.count() == 4


def test_a_lost_answer_is_settled_by_asking_not_by_paying_again(policy, monkeypatch):
    calls = []

    def pay_but_lose_the_answer(self, orders, **kwargs):
        for order in orders:
            calls.append(order.key)
            defaults = {"amount": order.amount, "account": order.account, "reference": "HZTLOST"}
            TreasuryRecord.objects.get_or_create(key=order.key, defaults=defaults)
        raise OutcomeUnknown("the line dropped")

    with pytest.MonkeyPatch.context() as patches:  # only these are lifted after it
        patches.setattr(SimulatedTreasury, "pay_many", pay_but_lose_the_answer)
        patches.setattr(
            SimulatedTreasury,
            "status_many",
            lambda self, keys: {key: PaymentResult(key, "not_found") for key in keys},
        )
        enterprise = EnterpriseFactory()
        claim, _ = submit_claim(enterprise=enterprise, policy=policy, actor=member_of(enterprise))
        claim.refresh_from_db()
        assert claim.status == ClaimStatus.PAYING  # outcome unknown: not paid, not failed
    assert reconcile().problems == []
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID and claim.disbursement.reference == "HZTLOST"
    assert len(calls) == 1 and TreasuryRecord.objects.count() == 1


def test_the_budget_is_never_overspent(policy):
    version = policy.versions.get()
    Budget.objects.create(version=version, total=Decimal("10000.00"))  # two claims' worth
    statuses = []
    for _ in range(4):
        enterprise = EnterpriseFactory()
        claim, _ = submit_claim(enterprise=enterprise, policy=policy, actor=member_of(enterprise))
        claim.refresh_from_db()
        statuses.append(claim.status)
    assert statuses.count(ClaimStatus.PAID) == 2
    assert statuses.count(ClaimStatus.BUDGET_EXHAUSTED) == 2
    budget = Budget.objects.get(version=version)
    assert budget.paid == budget.reserved == Decimal("10000.00")


def test_a_department_outage_means_waiting_never_refusal(policy, simulate):
    simulate("hrss", down=True)
    enterprise = EnterpriseFactory()
    claim, _ = submit_claim(enterprise=enterprise, policy=policy, actor=member_of(enterprise))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.AWAITING_DATA
    assert claim.next_check_at is not None
    simulate("hrss", down=False)
    from datetime import timedelta

    from django.core.cache import cache
    from django.utils import timezone

    from subsidies.pipeline import due_rechecks
    from subsidies.tasks import recheck_waiting_claims

    cache.clear()  # the circuit breaker remembers the outage
    assert due_rechecks() == []  # not before its back-off has passed
    later = claim.next_check_at + timedelta(seconds=1)
    with mock.patch("subsidies.pipeline.timezone.now", return_value=later):
        assert due_rechecks() == [claim.pk]
        recheck_waiting_claims()  # the beat task: queues the check (in-process here)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    assert due_rechecks(now=timezone.now() + timedelta(days=1)) == []


def test_a_check_abandoned_by_a_dead_worker_is_taken_up_again(policy):
    from datetime import timedelta

    from django.utils import timezone

    from subsidies.pipeline import due_rechecks

    enterprise = EnterpriseFactory()
    version = policy.versions.get()
    claim = Claim.objects.create(enterprise=enterprise, policy=policy, version=version,
                                 period="2026", status=ClaimStatus.CHECKING)  # fmt: skip
    assert due_rechecks(now=timezone.now() + timedelta(minutes=5)) == []
    assert due_rechecks(now=timezone.now() + timedelta(minutes=11)) == [claim.pk]
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED


def test_claims_that_cannot_be_made_are_refused_and_nothing_is_written(policy):
    enterprise, other = EnterpriseFactory(), EnterpriseFactory()
    stranger = member_of(other)
    with pytest.raises(ClaimRefused):
        submit_claim(enterprise=enterprise, policy=policy, actor=stranger)
    policy.target_industry_sections = ["C"]
    policy.save()
    with pytest.raises(ClaimRefused):
        submit_claim(enterprise=enterprise, policy=policy, actor=member_of(enterprise))
    assert not Claim.objects.exists()


def test_an_outage_never_fails_a_claim_and_the_sweep_pays_it_later(policy, settings):
    from datetime import timedelta

    from django.utils import timezone

    from subsidies.payments import resume_stalled_payments

    settings.TREASURY_SIMULATION = {"error_rate": 1.0, "latency_ms": 0}
    enterprise = EnterpriseFactory()
    claim, _ = submit_claim(enterprise=enterprise, policy=policy, actor=member_of(enterprise))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAYING  # an outage is not a refusal
    assert "unavailable" in Disbursement.objects.get(claim=claim).last_error
    assert not TreasuryRecord.objects.exists()
    settings.TREASURY_SIMULATION = {"error_rate": 0.0, "latency_ms": 0}
    assert resume_stalled_payments(now=timezone.now() + timedelta(minutes=6)) == [claim.pk]
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID and TreasuryRecord.objects.count() == 1


def test_a_refusing_treasury_ends_in_payment_failed_with_the_reason(policy, monkeypatch):
    from subsidies.gateway import PaymentRefused

    def refuse(self, orders, single=False):
        raise PaymentRefused("the account is closed")

    monkeypatch.setattr(SimulatedTreasury, "pay_many", refuse)
    enterprise = EnterpriseFactory()
    claim, _ = submit_claim(enterprise=enterprise, policy=policy, actor=member_of(enterprise))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAYMENT_FAILED
    assert Disbursement.objects.get(claim=claim).last_error == "the account is closed"
    assert not TreasuryRecord.objects.exists()


@pytest.mark.worker
def test_a_real_worker_decides_and_pays_a_claim(policy, celery_worker_process):
    import time

    enterprise = EnterpriseFactory()
    claim, _ = submit_claim(enterprise=enterprise, policy=policy, actor=member_of(enterprise))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        claim.refresh_from_db()
        if claim.status == ClaimStatus.PAID:
            break
        time.sleep(0.1)
    assert claim.status == ClaimStatus.PAID
    assert TreasuryRecord.objects.count() == 1


def test_reconciliation_asks_per_slice_not_per_payment(policy, django_assert_max_num_queries):
    """A batch run leaves hundreds of thousands of payments: checking them must not cost a
    ledger query and a treasury question each."""
    for enterprise in EnterpriseFactory.create_batch(15):
        submit_claim(enterprise=enterprise, policy=policy, actor=member_of(enterprise))
    assert Disbursement.objects.filter(status="confirmed").count() == 15
    with django_assert_max_num_queries(12):
        run = reconcile()
    assert run.checked == 15 and run.problems == []
