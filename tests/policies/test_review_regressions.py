"""Holes a review found, each closed and kept closed."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from datahub.extracts.reading import read_snapshot
from datahub.extracts.refresh import refresh_extract
from policies.models import ImmutableVersion, Policy, PolicyTestCase, PolicyVersion, VersionStatus
from policies.rules.errors import RuleError
from policies.rules.ruleset import parse_rules
from policies.services.boundary_cases import generate_boundary_cases
from policies.services.drafts import create_draft, update_draft
from policies.services.publication import approve, submit_for_approval
from qinqing.errors import NotAllowed, Refused
from tests.factories import EnterpriseFactory, department

from .conftest import TODAY
from .rulesets import LABEL
from .test_lifecycle import version_fields

pytestmark = pytest.mark.django_db


def test_an_official_who_edited_a_draft_cannot_approve_it(published, officials):
    author, colleague = officials
    draft = create_draft(policy=published, actor=author, **version_fields(valid_from=TODAY))
    update_draft(draft, actor=colleague, benefit={"amount": "9999.00"})
    generate_boundary_cases(draft)
    submitted = submit_for_approval(draft, actor=author)
    with pytest.raises(NotAllowed):
        approve(submitted, actor=colleague)


def test_a_published_versions_test_cases_cannot_be_regenerated(published):
    version = published.versions.get()
    before = list(PolicyTestCase.objects.filter(version=version).values_list("pk", flat=True))
    with pytest.raises(Refused):
        generate_boundary_cases(version)
    assert list(PolicyTestCase.objects.filter(version=version).values_list("pk", flat=True)) == (
        before
    )


def test_published_versions_resist_bulk_updates_and_going_back_to_draft(published):
    version = published.versions.get()
    with pytest.raises(ImmutableVersion):
        PolicyVersion.objects.filter(pk=version.pk).update(benefit={"amount": "1.00"})
    version.status = VersionStatus.DRAFT
    with pytest.raises(ImmutableVersion):
        version.save()


def test_next_years_version_waits_for_its_start_and_this_years_stays(published, officials):
    author, approver = officials
    start = TODAY + timedelta(days=40)
    draft = create_draft(policy=published, actor=author, **version_fields(
        valid_from=start, valid_until=start + timedelta(days=300),
        parameters={"min_staff": {"type": "integer", "values": [
            {"from": str(start), "value": 10, "reference": "§3"}]}},
    ))  # fmt: skip
    generate_boundary_cases(draft)
    scheduled = approve(submit_for_approval(draft, actor=author), actor=approver)
    assert scheduled.status == VersionStatus.SCHEDULED
    assert scheduled.publish_at.date() == start
    assert published.versions.get(number=1).status == VersionStatus.PUBLISHED


def test_a_parameter_must_have_a_value_when_claims_open(published, officials):
    late = {"min_staff": {"type": "integer", "values": [
        {"from": str(TODAY + timedelta(days=5)), "value": 10, "reference": "§3"}]}}  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        create_draft(policy=published, actor=officials[0],
                     **version_fields(valid_from=TODAY, parameters=late))  # fmt: skip
    assert "has no value on" in str(caught.value.message_dict["parameters"])


def test_enum_parameters_must_be_allowed_values():
    with pytest.raises(RuleError) as caught:
        parse_rules(
            criteria={"id": "g", "label": LABEL, "clause": "§1", "fact": "tax.credit_grade",
                      "op": "eq", "value": {"param": "grade"}},
            benefit={"amount": "1.00"},
            parameters={"grade": {"type": "enum", "values": [
                {"from": "2026-01-01", "value": "ZZZ", "reference": "§1"}]}},
        )  # fmt: skip
    assert caught.value.path == "parameters.grade"


def test_a_closed_policy_with_a_draft_covering_today_is_listed_as_closed(client, officials):
    policy = Policy.objects.create(
        code="old", department=department("hrss"), title_zh="旧政策", title_en="Old",
        summary_zh="-", summary_en="-", legal_basis_zh="-", benefit_type="award",
        delivery_mode="apply")  # fmt: skip
    old = PolicyVersion.objects.create(
        policy=policy, number=1, status=VersionStatus.PUBLISHED,
        **version_fields(valid_from=TODAY - timedelta(days=400),
                         valid_until=TODAY - timedelta(days=35),
                         parameters={"min_staff": {"type": "integer", "values": [
                             {"from": "2020-01-01", "value": 10, "reference": "§3"}]}}),
    )  # fmt: skip
    assert old.pk
    create_draft(policy=policy, actor=officials[0], **version_fields(valid_from=TODAY))
    closed = client.get(reverse("policies:catalog"), {"status": "closed"}).context["page"]
    assert [p.code for p in closed.object_list] == ["old"]


def test_only_the_department_forecasts_a_version(api_client, published, member):
    version = published.versions.get()
    api_client.force_authenticate(member)
    assert api_client.get(f"/api/v1/policy-versions/{version.pk}/what-if/").status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [({"name": "x", "facts": {"tax.arrears": "abc"}}, "facts"),
     ({"name": "x", "facts": {"tax.arrears": "1.00"}, "expected_criteria": ["a"]},
      "expected_criteria"),
     ({"name": "x", "facts": {"tax.arrears": "1.00"}, "expected_status": "maybe"},
      "expected_status")],
)  # fmt: skip
def test_test_cases_that_could_never_run_are_refused(
    api_client, client, published, officials, body, field
):
    draft = create_draft(policy=published, actor=officials[0], **version_fields(valid_from=TODAY))
    api_client.force_authenticate(officials[0])
    response = api_client.post(f"/api/v1/policy-versions/{draft.pk}/test-cases/", body,
                               format="json")  # fmt: skip
    assert response.status_code == 400 and field in response.json()["fields"]
    client.force_login(officials[0])
    assert client.get(reverse("policies:official_version", args=[draft.pk])).status_code == 200


def test_an_enterprise_missing_from_one_extract_is_unknown_not_dropped():
    first = EnterpriseFactory()
    refresh_extract("market", purpose="test", as_of=TODAY)
    second = EnterpriseFactory()
    refresh_extract("hrss", purpose="test", as_of=TODAY)
    snapshot = read_snapshot(["market.registration_status", "hrss.insured_employees"])
    assert snapshot.enterprise_ids.tolist() == [first.pk, second.pk]
    assert snapshot.known["market.registration_status"].tolist() == [True, False]
    assert snapshot.known["hrss.insured_employees"].tolist() == [True, True]


def test_evaluating_a_policy_that_is_not_open_today_is_refused(api_client, member, enterprise):
    policy = Policy.objects.create(
        code="expired", department=department("hrss"), title_zh="已截止", title_en="Expired",
        summary_zh="-", summary_en="-", legal_basis_zh="-", benefit_type="award",
        delivery_mode="apply")  # fmt: skip
    PolicyVersion.objects.create(
        policy=policy, number=1, status=VersionStatus.PUBLISHED,
        **version_fields(valid_from=TODAY - timedelta(days=400),
                         valid_until=TODAY - timedelta(days=35),
                         parameters={"min_staff": {"type": "integer", "values": [
                             {"from": "2020-01-01", "value": 10, "reference": "§3"}]}}),
    )  # fmt: skip
    api_client.force_authenticate(member)
    response = api_client.get("/api/v1/policies/expired/evaluate/", {"uscc": enterprise.uscc})
    assert response.status_code == 400 and "policy" in response.json()["fields"]
