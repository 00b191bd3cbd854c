"""Real concurrency on PostgreSQL: threads racing through the same services."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connections

from sandbox.treasury.models import TreasuryRecord
from subsidies.claims import submit_claim
from subsidies.models import (
    Budget,
    Claim,
    ClaimStatus,
    DisbursementStatus,
    LedgerEntry,
)
from subsidies.payments import pay_claims
from subsidies.pipeline import check
from tests.factories import EnterpriseFactory, member_of
from tests.subsidies.conftest import paying_claim

from .test_claims import officials_pair, policy  # noqa: F401 - fixtures

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


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


def test_fifty_simultaneous_identical_claims_make_one_claim_and_one_payment(policy):  # noqa: F811
    enterprise = EnterpriseFactory()
    claimant = member_of(enterprise)
    results = race(50, lambda _i: submit_claim(enterprise=enterprise, policy=policy,
                                               actor=claimant))  # fmt: skip
    assert len({claim.pk for claim, _created in results}) == 1
    assert sum(created for _claim, created in results) == 1
    assert Claim.objects.count() == 1
    assert Claim.objects.get().status == ClaimStatus.PAID
    assert TreasuryRecord.objects.count() == 1 and LedgerEntry.objects.count() == 2


def test_the_same_check_run_concurrently_pays_once(policy):  # noqa: F811
    enterprise = EnterpriseFactory()
    version = policy.versions.get()
    claim = Claim.objects.create(enterprise=enterprise, policy=policy, version=version,
                                 period="test")  # fmt: skip
    race(10, lambda _i: check(claim.pk))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    assert TreasuryRecord.objects.count() == 1 and LedgerEntry.objects.count() == 2


def test_the_same_payment_run_concurrently_pays_once(policy):  # noqa: F811
    """Ten deliveries of one payment task at once, on a claim not yet paid."""
    claim = paying_claim(policy, treasury_paid=False, status=DisbursementStatus.PENDING)
    race(10, lambda _i: pay_claims([claim.pk]))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    assert TreasuryRecord.objects.count() == 1 and LedgerEntry.objects.count() == 2


def test_a_budget_for_n_claims_pays_exactly_n_of_5n_racing_claimants(policy):  # noqa: F811
    n = 4
    version = policy.versions.get()
    Budget.objects.create(version=version, total=Decimal("5000.00") * n)
    claimants = [(enterprise, member_of(enterprise))
                 for enterprise in EnterpriseFactory.create_batch(5 * n)]  # fmt: skip
    results = race(5 * n, lambda i: submit_claim(enterprise=claimants[i][0], policy=policy,
                                                 actor=claimants[i][1]))  # fmt: skip
    statuses = [Claim.objects.get(pk=claim.pk).status for claim, _created in results]
    assert statuses.count(ClaimStatus.PAID) == n
    assert statuses.count(ClaimStatus.BUDGET_EXHAUSTED) == 4 * n
    budget = Budget.objects.get(version=version)
    assert budget.paid == budget.reserved == budget.total
    assert TreasuryRecord.objects.count() == n
