"""The public catalog, the calculator and the policy API: who may see and do what."""

from datetime import date

import pytest
from django.urls import reverse

from policies.models import Policy, VersionStatus
from policies.services.boundary_cases import generate_boundary_cases
from policies.services.drafts import create_draft
from tests.factories import OfficialFactory, department

from .test_lifecycle import SIMPLE_CRITERIA, version_fields

pytestmark = pytest.mark.django_db
TODAY = date.today()


def test_the_catalog_is_public_and_searchable(client, published):
    page = client.get(reverse("policies:catalog"))
    assert page.status_code == 200 and "稳岗补贴" in page.content.decode()
    assert (
        client.get(reverse("policies:catalog"), {"q": "稳岗"}).context["page"].paginator.count == 1
    )
    assert (
        client.get(reverse("policies:catalog"), {"q": "房租"}).context["page"].paginator.count == 0
    )
    assert (
        client.get(reverse("policies:catalog"), {"industry": "C"}).context["page"].paginator.count
        == 0
    )  # targets I only
    assert (
        client.get(reverse("policies:catalog"), {"status": "open"}).context["page"].paginator.count
        == 1
    )
    detail = client.get(reverse("policies:detail", args=["jobs"]), HTTP_ACCEPT_LANGUAGE="en")
    assert detail.status_code == 200 and "第三条" in detail.content.decode()


def test_drafts_are_not_in_the_public_catalog(client, officials):
    policy = Policy.objects.create(
        code="secret", department=department("hrss"), title_zh="草稿", title_en="Draft",
        summary_zh="-", summary_en="-", legal_basis_zh="-", benefit_type="award",
        delivery_mode="apply")  # fmt: skip
    create_draft(policy=policy, actor=officials[0], **version_fields())
    assert client.get(reverse("policies:detail", args=["secret"])).status_code == 404
    assert client.get("/api/v1/policies/secret/").status_code == 404


def test_the_calculator_shows_a_member_their_result_and_the_reasons(
    client, published, member, enterprise
):
    client.force_login(member)
    page = client.get(reverse("policies:calculator"))
    assert page.status_code == 200
    rows = page.context["rows"]
    assert [row.policy.code for row in rows] == ["jobs"]
    assert rows[0].decision.status in ("eligible", "ineligible")
    assert [c.id for c in rows[0].decision.outcome.criteria] == ["staff", "active"]


def test_the_calculator_is_for_enterprises(client, published, official_xihu):
    assert client.get(reverse("policies:calculator")).status_code == 302
    client.force_login(official_xihu)
    assert client.get(reverse("policies:calculator")).status_code == 403


def test_api_catalog_is_public_but_evaluation_is_scoped(
    api_client, published, member, enterprise, other_enterprise
):
    listing = api_client.get("/api/v1/policies/")
    assert listing.status_code == 200
    assert listing.json()["results"][0]["current_version"]["number"] == 1
    url = "/api/v1/policies/jobs/evaluate/"
    assert api_client.get(url, {"uscc": enterprise.uscc}).status_code == 401
    api_client.force_authenticate(member)
    mine = api_client.get(url, {"uscc": enterprise.uscc})
    assert mine.status_code == 200
    assert [row["id"] for row in mine.json()["criteria"]] == ["staff", "active"]
    assert api_client.get(url, {"uscc": other_enterprise.uscc}).status_code == 404
    assert api_client.get(url).status_code == 400


def test_versions_drafts_are_seen_only_by_the_department(api_client, published, officials):
    create_draft(policy=published, actor=officials[0], **version_fields())
    public = api_client.get("/api/v1/policies/jobs/versions/").json()
    assert [v["status"] for v in public] == ["published"]
    api_client.force_authenticate(officials[1])
    inside = api_client.get("/api/v1/policies/jobs/versions/").json()
    assert sorted(v["status"] for v in inside) == ["draft", "published"]


def test_drafting_through_the_api_reports_rule_errors_with_their_path(
    api_client, published, officials
):
    api_client.force_authenticate(officials[0])
    body = {**version_fields(), "valid_from": str(TODAY), "valid_until": str(TODAY),
            "budget": "1000.00"}  # fmt: skip
    body["criteria"] = {"all": [{**SIMPLE_CRITERIA["all"][0], "op": "contains"}]}
    response = api_client.post("/api/v1/policies/jobs/versions/", body, format="json")
    assert response.status_code == 400
    assert "criteria.all[0].op" in str(response.json()["fields"]["criteria"])
    body["criteria"] = SIMPLE_CRITERIA
    created = api_client.post("/api/v1/policies/jobs/versions/", body, format="json")
    assert created.status_code == 201 and created.json()["number"] == 2


def test_four_eyes_through_the_api(api_client, published, officials):
    author, approver = officials
    draft = create_draft(policy=published, actor=author,
                         **version_fields(benefit={"amount": "7000.00"}))  # fmt: skip
    generate_boundary_cases(draft)
    api_client.force_authenticate(author)
    assert api_client.post(f"/api/v1/policy-versions/{draft.pk}/submit/").status_code == 200
    refused = api_client.post(f"/api/v1/policy-versions/{draft.pk}/approve/", {}, format="json")
    assert refused.status_code == 403
    api_client.force_authenticate(approver)
    forecast = api_client.get(f"/api/v1/policy-versions/{draft.pk}/what-if/").json()
    assert forecast["within_budget"] is True
    approved = api_client.post(f"/api/v1/policy-versions/{draft.pk}/approve/", {}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == VersionStatus.PUBLISHED
    assert published.versions.get(number=1).status == VersionStatus.SUPERSEDED


def test_other_departments_cannot_act_on_a_version(api_client, published):
    version = published.versions.get()
    api_client.force_authenticate(OfficialFactory(department=department("taxation")))
    response = api_client.post(f"/api/v1/policy-versions/{version.pk}/send-back/",
                               {"reason": "not ours"}, format="json")  # fmt: skip
    assert response.status_code == 403
    assert published.versions.get().status == VersionStatus.PUBLISHED


def test_test_cases_are_added_through_the_api_and_checked_before_publication(
    api_client, published, officials
):
    author, approver = officials
    draft = create_draft(policy=published, actor=author, **version_fields(valid_from=TODAY))
    api_client.force_authenticate(author)
    url = f"/api/v1/policy-versions/{draft.pk}/test-cases/"
    bad = api_client.post(url, {"name": "x", "facts": {"tax.shoe_size": 1},
                                "expected_status": "eligible"}, format="json")  # fmt: skip
    assert bad.status_code == 400 and "tax.shoe_size" in str(bad.json()["fields"]["facts"])
    wrong = api_client.post(url, {"name": "nine staff qualify (wrong on purpose)",
                                  "facts": {"hrss.insured_employees": 9,
                                            "market.registration_status": "active"},
                                  "expected_status": "eligible"}, format="json")  # fmt: skip
    assert wrong.status_code == 200 and len(wrong.json()) == 1
    api_client.post(f"/api/v1/policy-versions/{draft.pk}/submit/")
    api_client.force_authenticate(approver)
    refused = api_client.post(f"/api/v1/policy-versions/{draft.pk}/approve/", {}, format="json")
    assert refused.status_code == 400
    assert "nine staff qualify" in str(refused.json()["fields"]["publication"])
