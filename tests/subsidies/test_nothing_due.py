"""Money never rounds to nothing (issue 19, item 7): an eligible claim whose amount comes
out zero (a formula that gives nothing, or less) is never sent to the treasury and never
called paid; it ends "nothing due" with that reason, on every path of the one pipeline."""

from decimal import Decimal

import pytest
from django.db.models import QuerySet

from policies.models import DeliveryMode, Policy, PolicyVersion
from sandbox.treasury.models import TreasuryRecord
from subsidies.claims import approve_claim, submit_claim
from subsidies.models import Claim, ClaimStatus, Disbursement, DisbursementStatus, LedgerEntry
from subsidies.payments import pay_claims, send
from tests.factories import EnterpriseFactory, department, member_of

from .conftest import paying_claim, policy_for_everyone
from .test_claims import officials_pair, policy  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db(transaction=True)
ALWAYS_NEGATIVE = {"sub": [{"amount": "1.00"}, {"amount": "1001.00"}]}


def formula_gives_nothing(of_policy: Policy) -> None:
    """The published version's formula changed under it (as one published before the
    publication check existed): always negative, so the engine's amount is 0.00."""
    QuerySet.update(PolicyVersion.objects.filter(policy=of_policy), benefit=ALWAYS_NEGATIVE)


def test_an_eligible_claim_for_nothing_is_never_sent_nor_paid(policy):  # noqa: F811
    formula_gives_nothing(policy)
    enterprise = EnterpriseFactory()
    claim, _ = submit_claim(enterprise=enterprise, policy=policy, actor=member_of(enterprise))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.NOTHING_DUE
    assert claim.amount == Decimal("0.00")
    assert claim.decision["status"] == "eligible"  # what was decided stays on record
    assert "nothing" in str(claim.get_status_display())
    assert not TreasuryRecord.objects.exists()
    assert not LedgerEntry.objects.exists()
    assert not Disbursement.objects.exists()


def test_an_approved_review_for_nothing_ends_nothing_due(reference_data, officials_pair):  # noqa: F811
    author, approver = officials_pair
    EnterpriseFactory.create_batch(2)
    apply = policy_for_everyone(code="zero-award", title="零元奖励", benefit_type="award",
                                author=author, approver=approver)  # fmt: skip
    enterprise = EnterpriseFactory()
    claim, _ = submit_claim(enterprise=enterprise, policy=apply, actor=member_of(enterprise))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_REVIEW
    Claim.objects.filter(pk=claim.pk).update(amount=Decimal("0.00"))
    approve_claim(claim.pk, actor=approver)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.NOTHING_DUE
    assert not TreasuryRecord.objects.exists() and not LedgerEntry.objects.exists()


def test_a_claim_booked_paying_for_nothing_is_stopped_before_the_treasury(policy):  # noqa: F811
    claim = paying_claim(policy, treasury_paid=False, status=DisbursementStatus.PENDING)
    Claim.objects.filter(pk=claim.pk).update(amount=Decimal("0.00"))
    Disbursement.objects.filter(claim=claim).update(amount=Decimal("0.00"))
    assert pay_claims([claim.pk]) == []
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.NOTHING_DUE
    assert claim.disbursement.status == DisbursementStatus.FAILED
    assert claim.disbursement.last_error == "nothing to pay"
    assert not TreasuryRecord.objects.exists() and not LedgerEntry.objects.exists()


def test_the_last_guard_sends_nothing_zero(policy):  # noqa: F811
    claim = paying_claim(policy, treasury_paid=False)
    Disbursement.objects.filter(claim=claim).update(amount=Decimal("0.00"))
    assert send(list(Disbursement.objects.filter(claim=claim))) == []
    assert not TreasuryRecord.objects.exists()
    assert Policy.objects.get(pk=policy.pk).delivery_mode == DeliveryMode.AUTOMATIC


# --- Refused before publication ----------------------------------------------------------------


@pytest.fixture
def draft_policy(reference_data):
    return Policy.objects.create(
        code="zero-jobs", department=department("hrss"), title_zh="零元", title_en="Zero",
        summary_zh="…", summary_en="…", legal_basis_zh="…", benefit_type="employment_subsidy",
        delivery_mode=DeliveryMode.AUTOMATIC,
    )  # fmt: skip


def _ready(policy_, author, **overrides):
    from policies.services.boundary_cases import generate_boundary_cases
    from policies.services.drafts import create_draft
    from policies.services.publication import submit_for_approval
    from tests.policies.test_lifecycle import version_fields

    version = create_draft(policy=policy_, actor=author, **version_fields(**overrides))
    generate_boundary_cases(version)
    return submit_for_approval(version, actor=author)


@pytest.fixture
def fresh_extracts(reference_data):
    from datahub.extracts.refresh import refresh_extract

    EnterpriseFactory.create_batch(3)
    for code in ("hrss", "market", "taxation"):
        refresh_extract(code, purpose="test")


def test_a_negative_fixed_amount_is_refused_in_a_draft(draft_policy, officials_pair):  # noqa: F811
    from django.core.exceptions import ValidationError

    from policies.services.drafts import create_draft
    from tests.policies.test_lifecycle import version_fields

    with pytest.raises(ValidationError) as caught:
        create_draft(policy=draft_policy, actor=officials_pair[0],
                     **version_fields(benefit={"amount": "-1000.00"}))  # fmt: skip
    assert "benefit.amount" in str(caught.value.message_dict["benefit"])
    assert not PolicyVersion.objects.exists()


def test_a_formula_always_negative_is_not_published(draft_policy, officials_pair,  # noqa: F811
                                                    fresh_extracts):  # fmt: skip
    from policies.services.publication import PublicationBlocked, approve

    author, approver = officials_pair
    version = _ready(draft_policy, author, benefit=ALWAYS_NEGATIVE)
    with pytest.raises(PublicationBlocked) as caught:
        approve(version, actor=approver)
    assert any("benefit formula gives ¥0.00" in reason for reason in caught.value.reasons)
    version.refresh_from_db()
    assert version.status == "awaiting_approval"


def test_a_formula_negative_at_a_boundary_is_not_published(draft_policy, officials_pair,  # noqa: F811
                                                           fresh_extracts):  # fmt: skip
    """Staff ≥ 10 and 100 yuan per insured less 1000: the enterprise with exactly 10
    insured staff is eligible for nothing; the boundary cases show it."""
    from policies.services.publication import PublicationBlocked, approve

    author, approver = officials_pair
    formula = {"sub": [{"mul": [{"fact": "hrss.insured_employees"}, {"amount": "100.00"}]},
                       {"amount": "1000.00"}]}  # fmt: skip
    version = _ready(draft_policy, author, benefit=formula)
    with pytest.raises(PublicationBlocked) as caught:
        approve(version, actor=approver)
    assert any("hrss.insured_employees = 10" in reason for reason in caught.value.reasons)


def test_a_formula_positive_for_everyone_eligible_is_published(draft_policy, officials_pair,  # noqa: F811
                                                               fresh_extracts):  # fmt: skip
    from policies.services.publication import approve

    author, approver = officials_pair
    formula = {"sub": [{"mul": [{"fact": "hrss.insured_employees"}, {"amount": "100.00"}]},
                       {"amount": "999.00"}]}  # fmt: skip
    version = approve(_ready(draft_policy, author, benefit=formula), actor=approver)
    assert version.status == "published"


def test_tiers_that_leave_eligible_enterprises_with_nothing_are_not_published(
    draft_policy,
    officials_pair,  # noqa: F811 - a fixture
    fresh_extracts,
):
    """Bands from ¥1,000,000 of revenue, and no condition on revenue: an eligible
    enterprise below the first band gets nothing. A band from zero is fine."""
    from policies.services.publication import PublicationBlocked, approve

    author, approver = officials_pair
    tiers = {"tiers": {"fact": "tax.annual_revenue", "bands": [
        {"from": "1000000.00", "amount": {"amount": "5000.00"}}]}}  # fmt: skip
    with pytest.raises(PublicationBlocked) as caught:
        approve(_ready(draft_policy, author, benefit=tiers), actor=approver)
    assert any("tax.annual_revenue = 999999.99" in reason for reason in caught.value.reasons)
