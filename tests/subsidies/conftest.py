"""Fixtures for apply-mode review, revoked enterprises, exports and reconciliation."""

from datetime import timedelta
from decimal import Decimal

import pytest

from policies.models import DeliveryMode, Policy
from policies.services.boundary_cases import generate_boundary_cases
from policies.services.drafts import create_draft
from policies.services.publication import approve, submit_for_approval
from sandbox.treasury.models import TreasuryRecord
from subsidies.claims import submit_claim
from subsidies.models import (
    Budget,
    Claim,
    ClaimStatus,
    Disbursement,
    DisbursementStatus,
)
from tests.factories import EnterpriseFactory, OfficialFactory, department, member_of

from ..policies.conftest import TODAY
from ..policies.test_lifecycle import SIMPLE_CRITERIA, version_fields


def policy_for_everyone(*, code: str, title: str, benefit_type: str, author, approver,
                        mode: str = DeliveryMode.APPLY) -> Policy:  # fmt: skip
    """A published Human Resources policy every active enterprise meets (5000 yuan each),
    over fresh extracts. Published in `mode`; apply mode starts no batch run."""
    from datahub.extracts.refresh import refresh_extract

    for code_ in ("hrss", "market"):
        refresh_extract(code_, purpose="test", as_of=TODAY)
    policy = Policy.objects.create(
        code=code, department=department("hrss"), title_zh=title, title_en=title,
        summary_zh="-", summary_en="-", legal_basis_zh="-", benefit_type=benefit_type,
        delivery_mode=mode)  # fmt: skip
    criteria = {"all": [{**SIMPLE_CRITERIA["all"][0], "value": 0},
                        {**SIMPLE_CRITERIA["all"][1], "op": "in",
                         "value": ["active", "revoked", "deregistered"]}]}  # fmt: skip
    version = create_draft(
        policy=policy,
        actor=author,
        **version_fields(valid_from=TODAY - timedelta(days=1), criteria=criteria, parameters={}),
    )
    generate_boundary_cases(version)
    approve(submit_for_approval(version, actor=author), actor=approver)
    return policy


@pytest.fixture
def apply_policy(reference_data) -> Policy:
    """An apply-mode policy every active enterprise meets: eligible claims wait for an
    official's review."""
    EnterpriseFactory.create_batch(2)
    return policy_for_everyone(
        code="talent-award", title="人才奖励", benefit_type="award",
        author=OfficialFactory(department=department("hrss"), district=None),
        approver=OfficialFactory(department=department("hrss"), district=None),
    )  # fmt: skip


@pytest.fixture
def hrss_official(reference_data):
    """City-wide official of the policy's department: may review every claim on it."""
    return OfficialFactory(department=department("hrss"), district=None)


@pytest.fixture
def claim_in_review(apply_policy):
    """A Xihu enterprise's claim, checked eligible and waiting for review; its member."""

    def make(**enterprise_fields) -> tuple[Claim, object]:
        enterprise = EnterpriseFactory(**enterprise_fields)
        claimant = member_of(enterprise)
        claim, _created = submit_claim(enterprise=enterprise, policy=apply_policy, actor=claimant)
        claim.refresh_from_db()
        return claim, claimant

    return make


def paying_claim(policy, *, treasury_paid: bool, status: str = DisbursementStatus.SENT) -> Claim:
    """A claim whose payment was sent; the treasury may or may not have it."""
    enterprise = EnterpriseFactory()
    version = policy.versions.get()
    Budget.objects.get_or_create(version=version, defaults={"total": version.budget})
    Budget.objects.filter(version=version).update(reserved=Decimal("5000.00"))
    claim = Claim.objects.create(enterprise=enterprise, policy=policy, version=version,
                                 period="2026", status=ClaimStatus.PAYING,
                                 amount=Decimal("5000.00"))  # fmt: skip
    key = f"qinqing-claim-{claim.pk}"
    Disbursement.objects.create(claim=claim, idempotency_key=key, amount=claim.amount,
                                bank_name=enterprise.bank_name, status=status,
                                bank_account=enterprise.bank_account)  # fmt: skip
    if treasury_paid:
        TreasuryRecord.objects.create(key=key, amount=claim.amount, reference="HZTLOST",
                                      account=enterprise.bank_account)  # fmt: skip
    return claim
