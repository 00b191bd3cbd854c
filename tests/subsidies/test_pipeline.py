"""The one claim pipeline with several claims decided together, on whichever database the
suite runs on (SQLite by default, PostgreSQL too): a local run catches what only the
multi-claim path does (the budget shared, per-claim values written together). The racing
cases, which need real row locks, are in test_batch_checks.py (PostgreSQL)."""

from decimal import Decimal

import pytest

from qinqing.audit.models import AuditEvent
from qinqing.events.models import OutboxEvent
from sandbox.treasury.models import TreasuryRecord
from subsidies.models import (
    Budget,
    Claim,
    ClaimStatus,
    Disbursement,
    DisbursementStatus,
    LedgerEntry,
)
from subsidies.pipeline import check_many
from tests.factories import EnterpriseFactory

from .conftest import apply_policy  # noqa: F401 - fixtures
from .test_claims import officials_pair, policy  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def waiting_claims(of_policy, count: int) -> list[Claim]:
    """Claims recorded and waiting for their check, as submit_claim leaves them."""
    return [
        Claim.objects.create(
            enterprise=enterprise,
            policy=of_policy,
            period="2026",
            version=of_policy.versions.get(),
            status=ClaimStatus.CHECKING,
            checks=1,
        )
        for enterprise in EnterpriseFactory.create_batch(count)
    ]


def trail(claim: Claim) -> list[str]:
    return list(AuditEvent.objects.filter(object_type="subsidies.claim", object_id=str(claim.pk))
                .order_by("pk").values_list("action", flat=True))  # fmt: skip


def test_claims_decided_together_are_each_paid_once_with_their_own_decision(policy):  # noqa: F811
    claims = waiting_claims(policy, 5)
    check_many([claim.pk for claim in claims])
    for claim in claims:
        claim.refresh_from_db()
        assert claim.status == ClaimStatus.PAID and claim.amount == Decimal("5000.00")
        # Each claim's own decision and facts, written with its status in one statement.
        assert claim.decision["status"] == "eligible"
        assert set(claim.facts) == {"hrss.insured_employees", "market.registration_status"}
        assert trail(claim) == ["claim.eligible", "claim.paying", "claim.paid"]
        disbursement = Disbursement.objects.get(claim=claim)
        assert disbursement.idempotency_key == f"qinqing-claim-{claim.pk}"
        assert disbursement.status == DisbursementStatus.CONFIRMED and disbursement.reference
        assert OutboxEvent.objects.filter(subject=f"claim:{claim.pk}",
                                          event_type="claim.paid").count() == 1  # fmt: skip
    budget = Budget.objects.get(version=policy.versions.get())
    assert budget.reserved == budget.paid == Decimal("5000.00") * 5
    assert TreasuryRecord.objects.count() == 5 and LedgerEntry.objects.count() == 10


def test_a_short_budget_goes_to_the_first_claims_exactly(policy):  # noqa: F811
    version = policy.versions.get()
    Budget.objects.create(version=version, total=Decimal("5000.00") * 2)
    claims = waiting_claims(policy, 5)
    check_many([claim.pk for claim in claims])
    statuses = [Claim.objects.get(pk=claim.pk).status for claim in claims]
    assert statuses == [ClaimStatus.PAID] * 2 + [ClaimStatus.BUDGET_EXHAUSTED] * 3
    budget = Budget.objects.get(version=version)
    assert budget.reserved == budget.total == budget.paid
    assert Disbursement.objects.count() == TreasuryRecord.objects.count() == 2
    assert trail(claims[-1]) == ["claim.eligible", "claim.budget_exhausted"]
    # The exhausted claims keep the decision that found them eligible.
    assert Claim.objects.get(pk=claims[-1].pk).decision["status"] == "eligible"


def test_claims_of_two_policies_decided_together_each_follow_their_policy(policy, apply_policy):  # noqa: F811
    automatic = waiting_claims(policy, 2)
    reviewed = waiting_claims(apply_policy, 2)
    check_many([claim.pk for claim in reviewed + automatic])
    assert {Claim.objects.get(pk=c.pk).status for c in automatic} == {ClaimStatus.PAID}
    in_review = [Claim.objects.get(pk=c.pk) for c in reviewed]
    assert {c.status for c in in_review} == {ClaimStatus.IN_REVIEW}
    assert {c.amount for c in in_review} == {Decimal("5000.00")}
    assert TreasuryRecord.objects.count() == 2


def test_a_claim_decided_meanwhile_is_left_as_it_is(policy):  # noqa: F811
    claims = waiting_claims(policy, 3)
    Claim.objects.filter(pk=claims[0].pk).update(status=ClaimStatus.INELIGIBLE)
    check_many([claim.pk for claim in claims])
    assert Claim.objects.get(pk=claims[0].pk).status == ClaimStatus.INELIGIBLE
    assert trail(claims[0]) == []
    assert {Claim.objects.get(pk=c.pk).status for c in claims[1:]} == {ClaimStatus.PAID}
