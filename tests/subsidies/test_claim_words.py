"""The claim page in plain words: each criterion's value as people read it (是/否, 存续,
¥0.00, 41 人), the department that holds it and when it was read, the amount's formula
with the enterprise's values (parameters by their clause, never `per_insured`), the
period in words; an ineligible claim says which fact failed, who holds it, links a
pre-filled correction request and says when to claim again."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from policies.engine import evaluate
from policies.models import Policy
from policies.services.drafts import create_draft
from sandbox.city.management.commands.seed_demo_policies import POLICIES
from subsidies.models import Claim, ClaimStatus
from tests.factories import EnterpriseFactory, OfficialFactory, department, member_of

pytestmark = pytest.mark.django_db

READ_AT = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # 09:30 in Hangzhou
FACTS = {
    "hrss.insured_employees": 41,
    "market.registration_status": "active",
    "tax.arrears": Decimal("0.00"),
    "market.abnormal_operations": False,
    "hrss.continuous_contribution_months": 24,
}


@pytest.fixture
def version(db):
    spec = POLICIES[0]  # the demo's job stability refund: min_staff, per_insured
    policy = Policy.objects.create(
        code="stable-jobs", department=department("hrss"), title_zh=spec["title_zh"],
        title_en=spec["title_en"], summary_zh="-", summary_en="-", legal_basis_zh="-",
        benefit_type="employment_subsidy", delivery_mode="apply")  # fmt: skip
    author = OfficialFactory(department=department("hrss"), district=None)
    return create_draft(policy=policy, actor=author, valid_from=date(2026, 1, 1),
                        valid_until=date(2027, 12, 31), rounding="half_up",
                        **spec["version"])  # fmt: skip


def decided_claim(version, facts, status):
    from datahub.catalogue import CATALOGUE
    from datahub.normalise import to_json

    outcome = evaluate(version.rules, facts, date(2026, 3, 2), version.per_enterprise_cap)
    enterprise = EnterpriseFactory()
    claim = Claim.objects.create(
        enterprise=enterprise, policy=version.policy, version=version, period="2026",
        status=status, amount=outcome.amount,
        decision={"status": outcome.status, "criteria": [c.as_json() for c in outcome.criteria],
                  "amount": str(outcome.amount) if outcome.amount else None},
        facts={name: {"name": name, "value": to_json(value), "known": True,
                      "department": CATALOGUE[name].department, "fetched_at": READ_AT.isoformat()}
               for name, value in facts.items()},
    )  # fmt: skip
    return claim, member_of(enterprise)


def page(client, user, claim, language="zh-hans") -> str:
    client.force_login(user)
    url = reverse("subsidies:claim", args=[claim.pk])
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_each_criterion_reads_as_people_read_it_with_its_source(client, version):
    claim, member = decided_claim(version, FACTS, ClaimStatus.IN_REVIEW)
    html = page(client, member, claim)
    for shown in (
        "<strong>41 人</strong>",
        "<strong>存续</strong>",
        "<strong>¥0.00</strong>",
        "<strong>否</strong>",
    ):
        assert shown in html
    assert ">False<" not in html and ">active<" not in html and ">0.00<" not in html
    english = page(client, member, claim, "en")
    assert "<strong>41 persons</strong>" in english and "<strong>active</strong>" in english
    assert "<strong>No</strong>" in english
    # The department that holds each fact, and when it was read (Hangzhou time).
    assert (
        "read from Hangzhou Municipal Human Resources and Social Security Bureau at "
        "2026-03-02 09:30" in english
    )
    # The amount: the formula with the enterprise's values, no parameter names.
    # the clause in English (issue 20: 第六条 → Art. 6)
    assert "¥300.00 (Art. 6) × 41 persons" in english and "= ¥12,300.00" in english
    assert "per_insured" not in english and "min_staff" not in english
    assert "period 2026" not in english and "the year 2026" in english


def test_an_ineligible_claim_says_what_to_do_next(client, version):
    claim, member = decided_claim(
        version, {**FACTS, "market.registration_status": "deregistered"}, ClaimStatus.INELIGIBLE
    )
    html = page(client, member, claim, "en")
    assert "What you can do" in html
    assert "Not met: Registration status is deregistered" in html
    link = f"/requests/new/?claim={claim.pk}&amp;fact=market.registration_status"
    assert link in html
    assert "You can claim again from 2027-01-01" in html
    chinese = page(client, member, claim)
    assert "注销" in chinese
