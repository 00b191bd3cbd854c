"""A policy with plain thresholds and department answers the test decides (the hub is
asked as usual; the answers for the named facts are replaced)."""

import dataclasses
from contextlib import contextmanager
from datetime import timedelta

import pytest

from datahub.extracts.refresh import refresh_extract
from datahub.fetching import pipeline as hub_fetch
from policies.models import DeliveryMode, Policy
from policies.services.boundary_cases import generate_boundary_cases
from policies.services.drafts import create_draft
from policies.services.publication import approve, submit_for_approval
from tests.factories import OfficialFactory, department

from .conftest import TODAY
from .test_lifecycle import SIMPLE_CRITERIA, version_fields


def publish_staff_policy(code: str = "watch-jobs", parameters: dict | None = None) -> Policy:
    """Apply mode (no batch run pays anyone on publication): at least 10 insured staff
    (parameter min_staff) and an active registration; every district and industry."""
    for dept in ("hrss", "market"):
        refresh_extract(dept, purpose="test", as_of=TODAY)
    author = OfficialFactory(department=department("hrss"), district=None)
    approver = OfficialFactory(department=department("hrss"), district=None)
    policy = Policy.objects.create(
        code=code, department=department("hrss"), title_zh="稳岗补贴", title_en="Job subsidy",
        summary_zh="-", summary_en="-", legal_basis_zh="第三条 参保人数达到标准",
        benefit_type="employment_subsidy", delivery_mode=DeliveryMode.APPLY,
    )  # fmt: skip
    version = create_draft(
        policy=policy, actor=author, **version_fields(
            valid_from=TODAY - timedelta(days=1), valid_until=TODAY + timedelta(days=30),
            criteria=SIMPLE_CRITERIA, **({"parameters": parameters} if parameters else {})),
    )  # fmt: skip
    generate_boundary_cases(version)
    approve(submit_for_approval(version, actor=author), actor=approver)
    return policy


@contextmanager
def department_answers(answers: dict[str, dict]):
    """{uscc: {fact: value}}: the hub's answers for these enterprises and facts."""
    real = hub_fetch.fetch_facts

    def fetch(enterprise, names, **kwargs):
        found = real(enterprise, names, **kwargs)
        for name, value in answers.get(enterprise.uscc, {}).items():
            if name in found.facts:
                found.facts[name] = dataclasses.replace(found.facts[name], value=value,
                                                        known=True, reason="")  # fmt: skip
        return found

    with pytest.MonkeyPatch.context() as patches:
        patches.setattr("policies.evaluation.fetch_facts", fetch)
        patches.setattr("policies.selectors.fetch_facts", fetch)
        yield


def staff(count: int) -> dict:
    return {"hrss.insured_employees": count, "market.registration_status": "active"}
