"""Fixtures shared by the policy tests: two officials of one department and a published
policy over a small register with fresh extracts."""

from datetime import date, timedelta

import pytest

from datahub.extracts.refresh import refresh_extract
from policies.models import Policy
from policies.services.boundary_cases import generate_boundary_cases
from policies.services.drafts import create_draft
from policies.services.publication import approve, submit_for_approval
from tests.factories import EnterpriseFactory, OfficialFactory, department

from .test_lifecycle import version_fields

TODAY = date.today()


@pytest.fixture
def officials():
    return (
        OfficialFactory(department=department("hrss"), district=None, username="drafter"),
        OfficialFactory(department=department("hrss"), district=None, username="checker"),
    )


@pytest.fixture
def published(officials):
    author, approver = officials
    EnterpriseFactory.create_batch(5)
    for code in ("hrss", "market"):
        refresh_extract(code, purpose="test", as_of=TODAY)
    policy = Policy.objects.create(
        code="jobs", department=department("hrss"), title_zh="稳岗补贴", title_en="Job subsidy",
        summary_zh="按参保人数补贴", summary_en="Per insured employee",
        legal_basis_zh="第三条 参保人数达到标准", benefit_type="employment_subsidy",
        delivery_mode="automatic", target_industry_sections=["I"],
    )  # fmt: skip
    version = create_draft(
        policy=policy,
        actor=author,
        **version_fields(
            valid_from=TODAY - timedelta(days=1), valid_until=TODAY + timedelta(days=30)
        ),
    )
    generate_boundary_cases(version)
    approve(submit_for_approval(version, actor=author), actor=approver)
    return policy
