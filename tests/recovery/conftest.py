"""Paid claims to recover, and later claims to offset against: apply-mode policies every
active enterprise meets (5000 yuan each), approved by an official of their department."""

import pytest

from credit.commitments.models import CommitmentStatus
from policies.models import Policy
from recovery.models import Grounds, RecoveryOrder
from recovery.services import open_order
from subsidies.claims import approve_claim, submit_claim
from subsidies.models import Claim, ClaimStatus
from tests.factories import CommitmentFactory, EnterpriseFactory, OfficialFactory, department

from ..subsidies.conftest import policy_for_everyone


def _policy(code: str) -> Policy:
    return policy_for_everyone(
        code=code, title=code, benefit_type="award",
        author=OfficialFactory(department=department("hrss"), district=None),
        approver=OfficialFactory(department=department("hrss"), district=None),
    )  # fmt: skip


@pytest.fixture
def hrss_official(reference_data):
    return OfficialFactory(department=department("hrss"), district=None)


@pytest.fixture
def policies(reference_data) -> list[Policy]:
    """Three apply-mode policies: the first pays the undue money, the others pay later."""
    return [_policy("talent-award"), _policy("jobs-award"), _policy("skills-award")]


@pytest.fixture
def pay(hrss_official):
    """Claim `policy` for `enterprise` and approve it: the claim is paid (or offset)."""

    def make(enterprise, policy: Policy) -> Claim:
        claim, _created = submit_claim(enterprise=enterprise, policy=policy,
                                       actor=enterprise.memberships.first().user)  # fmt: skip
        approve_claim(claim.pk, actor=hrss_official)
        claim.refresh_from_db()
        return claim

    return make


@pytest.fixture
def firm(reference_data):
    from directline.models import Category
    from tests.factories import member_of

    Category.objects.get_or_create(
        code="difficulty",
        defaults={
            "order": 2,
            "name_zh": "困难诉求",
            "name_en": "Difficulty or appeal",
            "limit_hours": 35,
        },
    )
    enterprise = EnterpriseFactory()
    member_of(enterprise)
    return enterprise


@pytest.fixture
def paid_claim(firm, policies, pay) -> Claim:
    claim = pay(firm, policies[0])
    assert claim.status == ClaimStatus.PAID
    return claim


@pytest.fixture
def order(paid_claim, hrss_official) -> RecoveryOrder:
    """An order for the whole of the paid claim (5000 yuan), by an official's decision."""
    return open_order(claim=paid_claim, grounds=Grounds.DECISION, reason="paid twice",
                      actor=hrss_official)[0]  # fmt: skip


@pytest.fixture
def commitment_for(reference_data):
    def make(claim: Claim):
        return CommitmentFactory(enterprise=claim.enterprise, subject_kind="subsidy_claim",
                                 subject_ref=f"subsidies.claim:{claim.pk}",
                                 department=department("hrss"),
                                 status=CommitmentStatus.VERIFYING)  # fmt: skip

    return make
