"""Fixtures for apply-mode review, revoked enterprises, exports and reconciliation."""

from datetime import timedelta

import pytest

from policies.models import DeliveryMode, Policy
from policies.services import approve, create_draft, generate_boundary_cases, submit_for_approval
from subsidies.models import Claim
from subsidies.services import submit_claim
from tests.factories import EnterpriseFactory, OfficialFactory, department, member_of

from ..policies.conftest import TODAY
from ..policies.test_lifecycle import SIMPLE_CRITERIA, version_fields


@pytest.fixture
def apply_policy(reference_data) -> Policy:
    """An apply-mode Human Resources policy every active enterprise meets (5000 yuan):
    eligible claims wait for an official's review."""
    from departments.hub.snapshots import refresh_extract

    EnterpriseFactory.create_batch(2)
    for code in ("hrss", "market"):
        refresh_extract(code, purpose="test", as_of=TODAY)
    author = OfficialFactory(department=department("hrss"), district=None)
    approver = OfficialFactory(department=department("hrss"), district=None)
    policy = Policy.objects.create(
        code="talent-award", department=department("hrss"), title_zh="人才奖励",
        title_en="Talent award", summary_zh="-", summary_en="-", legal_basis_zh="-",
        benefit_type="award", delivery_mode=DeliveryMode.APPLY)  # fmt: skip
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
