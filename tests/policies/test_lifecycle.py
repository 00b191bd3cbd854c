"""Drafting, four-eyes publication, immutability, scheduling, what-if; and deciding for one
enterprise through the data hub."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from datahub.extracts.refresh import refresh_extract
from datahub.models import DataCall
from policies.evaluation import evaluate_for_enterprise
from policies.models import (
    DeliveryMode,
    ImmutableVersion,
    Policy,
    PolicyTestCase,
    PolicyVersion,
    VersionStatus,
)
from policies.services.boundary_cases import generate_boundary_cases
from policies.services.drafts import create_draft, update_draft
from policies.services.publication import (
    PublicationBlocked,
    approve,
    publish_due,
    submit_for_approval,
)
from policies.services.test_cases import run_test_cases
from policies.services.what_if import what_if
from qinqing.audit.models import AuditEvent
from qinqing.errors import NotAllowed, Refused
from tests.factories import EnterpriseFactory, OfficialFactory, department

from .rulesets import LABEL

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 11, 27)
SIMPLE_CRITERIA = {"all": [
    {"id": "staff", "label": LABEL, "clause": "§3", "fact": "hrss.insured_employees",
     "op": "ge", "value": {"param": "min_staff"}},
    {"id": "active", "label": LABEL, "clause": "§4", "fact": "market.registration_status",
     "op": "eq", "value": "active"},
]}  # fmt: skip
PARAMS = {"min_staff": {"type": "integer", "values": [
    {"from": "2026-01-01", "value": 10, "reference": "§3"}]}}  # fmt: skip


def version_fields(**overrides):
    fields = {
        "valid_from": AS_OF, "valid_until": AS_OF + timedelta(days=365),
        "criteria": SIMPLE_CRITERIA, "benefit": {"amount": "5000.00"}, "parameters": PARAMS,
        "rounding": "half_up", "budget": Decimal("100000000.00"), "claim_period": "yearly",
    }  # fmt: skip
    fields.update(overrides)
    return fields


@pytest.fixture
def author():
    return OfficialFactory(department=department("hrss"), district=None, username="author")


@pytest.fixture
def approver():
    return OfficialFactory(department=department("hrss"), district=None, username="approver")


@pytest.fixture
def policy():
    return Policy.objects.create(
        code="stable-jobs-2026", department=department("hrss"), title_zh="稳岗补贴",
        title_en="Job stability subsidy", summary_zh="…", summary_en="…",
        legal_basis_zh="第三条 …", benefit_type="employment_subsidy",
        delivery_mode=DeliveryMode.AUTOMATIC,
    )  # fmt: skip


@pytest.fixture
def extracts():
    EnterpriseFactory.create_batch(30)
    for code in ("hrss", "market"):
        refresh_extract(code, purpose="test: what-if", as_of=AS_OF)


def ready_for_approval(policy, author, **overrides) -> PolicyVersion:
    version = create_draft(policy=policy, actor=author, **version_fields(**overrides))
    generate_boundary_cases(version)
    return submit_for_approval(version, actor=author)


def test_a_draft_with_a_bad_rule_is_refused_with_the_path(policy, author):
    bad = {"all": [{**SIMPLE_CRITERIA["all"][0], "fact": "hrss.favourite_food"}]}
    with pytest.raises(ValidationError) as caught:
        create_draft(policy=policy, actor=author, **version_fields(criteria=bad))
    assert "criteria.all[0].fact" in str(caught.value.message_dict["criteria"])
    assert not PolicyVersion.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"valid_until": AS_OF - timedelta(days=1)}, "valid_until"),
     ({"budget": Decimal("-1.00")}, "budget")],
)  # fmt: skip
def test_an_empty_window_or_a_negative_budget_is_refused(policy, author, overrides, field):
    with pytest.raises(ValidationError) as caught:
        create_draft(policy=policy, actor=author, **version_fields(**overrides))
    assert field in caught.value.message_dict


def test_only_the_issuing_departments_officials_draft(policy):
    tax = OfficialFactory(department=department("taxation"))
    with pytest.raises(NotAllowed):
        create_draft(policy=policy, actor=tax, **version_fields())


def test_generated_boundary_cases_pass_and_cover_every_threshold(policy, author):
    version = create_draft(policy=policy, actor=author, **version_fields())
    cases = generate_boundary_cases(version)
    assert {case.facts["hrss.insured_employees"] for case in cases
            if "hrss.insured_employees" in case.facts} == {"9", "10", "11"}  # fmt: skip
    assert all(result.passed for result in run_test_cases(version))


def test_four_eyes_the_submitter_cannot_approve(policy, author, extracts):
    version = ready_for_approval(policy, author)
    with pytest.raises(NotAllowed):
        approve(version, actor=author)
    assert PolicyVersion.objects.get(pk=version.pk).status == VersionStatus.AWAITING_APPROVAL


def test_a_second_official_publishes_and_the_old_version_is_superseded(
    policy, author, approver, extracts
):
    first = approve(ready_for_approval(policy, author), actor=approver)
    assert first.status == VersionStatus.PUBLISHED and first.approved_by == approver
    second = approve(ready_for_approval(policy, author, benefit={"amount": "6000.00"}),
                     actor=approver)  # fmt: skip
    assert second.status == VersionStatus.PUBLISHED
    assert PolicyVersion.objects.get(pk=first.pk).status == VersionStatus.SUPERSEDED
    assert AuditEvent.objects.filter(action="policy_version.published").count() == 2


def test_a_failing_test_case_blocks_publication(policy, author, approver, extracts):
    version = ready_for_approval(policy, author)
    PolicyTestCase.objects.create(version=version, name="ten staff qualify",
                                  facts={"hrss.insured_employees": 9,
                                         "market.registration_status": "active"},
                                  expected_status="eligible")  # fmt: skip
    with pytest.raises(PublicationBlocked) as caught:
        approve(version, actor=approver)
    assert "ten staff qualify" in str(caught.value)
    assert PolicyVersion.objects.get(pk=version.pk).status == VersionStatus.AWAITING_APPROVAL


def test_a_budget_below_the_forecast_cost_blocks_publication(policy, author, approver, extracts):
    version = ready_for_approval(policy, author, budget=Decimal("5000.00"))
    forecast = what_if(version)
    # The window runs from 2026-11-27 for a year: a yearly policy pays in 2026 and in 2027.
    assert forecast.periods == 2
    assert forecast.eligible > 1
    assert forecast.total_cost == forecast.eligible * 2 * Decimal("5000")
    with translation.override("en"), pytest.raises(PublicationBlocked) as caught:
        approve(version, actor=approver)
    assert "exceeds the budget" in str(caught.value)


def test_without_extracts_the_cost_cannot_be_forecast_and_publication_waits(
    policy, author, approver
):
    version = ready_for_approval(policy, author)
    with translation.override("en"), pytest.raises(PublicationBlocked) as caught:
        approve(version, actor=approver)
    assert "Refresh the extracts" in str(caught.value)


def test_a_published_version_is_immutable(policy, author, approver, extracts):
    version = approve(ready_for_approval(policy, author), actor=approver)
    version.benefit = {"amount": "9999.00"}
    with pytest.raises(ImmutableVersion):
        version.save()
    with pytest.raises(Refused):
        update_draft(PolicyVersion.objects.get(pk=version.pk), actor=author,
                     benefit={"amount": "1.00"})  # fmt: skip
    assert PolicyVersion.objects.get(pk=version.pk).benefit == {"amount": "5000.00"}


def test_publication_can_be_scheduled(policy, author, approver, extracts):
    when = timezone.now() + timedelta(hours=2)
    version = approve(ready_for_approval(policy, author), actor=approver, publish_at=when)
    assert version.status == VersionStatus.SCHEDULED
    assert publish_due(now=when - timedelta(minutes=1)) == []
    assert [v.pk for v in publish_due(now=when)] == [version.pk]
    assert PolicyVersion.objects.get(pk=version.pk).status == VersionStatus.PUBLISHED
    assert publish_due(now=when + timedelta(hours=1)) == []  # idempotent


def test_what_if_counts_gainers_and_losers_against_the_version_in_force(
    policy, author, approver, extracts
):
    approve(ready_for_approval(policy, author), actor=approver)
    stricter = {"min_staff": {"type": "integer", "values": [
        {"from": "2026-01-01", "value": 500, "reference": "§3"}]}}  # fmt: skip
    draft = create_draft(policy=policy, actor=author, **version_fields(parameters=stricter))
    forecast = what_if(draft)
    assert forecast.gainers == 0 and forecast.losers > 0


def test_deciding_for_one_enterprise_reads_exactly_the_named_facts_with_the_purpose(policy, author):
    version = create_draft(policy=policy, actor=author, **version_fields())
    enterprise = EnterpriseFactory()
    decision = evaluate_for_enterprise(version, enterprise, purpose="policy calculator",
                                       as_of=AS_OF)  # fmt: skip
    assert decision.status in ("eligible", "ineligible")
    calls = DataCall.objects.filter(enterprise=enterprise)
    assert {tuple(call.fact_names) for call in calls} == {
        ("hrss.insured_employees",),
        ("market.registration_status",),
    }
    assert all(call.purpose == "policy calculator" for call in calls)
    explanation = decision.explanation()
    assert [row["id"] for row in explanation] == ["staff", "active"]
    assert explanation[0]["fetched_at"] is not None


def test_an_enterprise_outside_the_target_districts_is_not_targeted(policy, author):
    from tests.factories import district

    policy.target_districts.add(district("binjiang"))
    version = create_draft(policy=policy, actor=author, **version_fields())
    decision = evaluate_for_enterprise(version, EnterpriseFactory(district=district("xihu")),
                                       purpose="test", as_of=AS_OF)  # fmt: skip
    assert decision.status == "not_targeted"
    assert not DataCall.objects.exists()  # nothing read for a policy that cannot apply
