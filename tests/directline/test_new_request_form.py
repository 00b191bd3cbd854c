"""The new-request form: the error summary the other forms have, a real placeholder for the
category, each error once; pre-filled from an ineligible claim (`?claim=&fact=`, the
member's own only) or a policy (`?policy=`)."""

import re

import pytest
from django.test import Client

from directline.models import Category
from subsidies.models import Claim, ClaimStatus
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


def page(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def main_of(response) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def test_errors_are_summarised_at_the_top_and_each_shown_once(member, enterprise):
    response = page(member).post(
        "/requests/new/",
        {
            "enterprise": enterprise.uscc,
            "category": "",
            "subject": "",
            "description": "",
            "send": "1",
        },
    )
    assert response.status_code == 200
    main = main_of(response)
    summary = main[main.index('class="error-summary"') : main.index("</div>")]
    for field in ("id_category", "id_subject", "id_description"):
        assert f'href="#{field}"' in summary  # each error links to its field
    # Announced once: the summary is the one alert; beside each field, the message once.
    assert main.count('role="alert"') == 1
    beside = re.findall(r'<div class="error-message" id="(id_\w+)_error">', main)
    assert sorted(beside) == ["id_category", "id_description", "id_subject"]
    assert main.count("error-message") == 3


def test_the_category_has_a_real_placeholder(member):
    main = main_of(page(member).get("/requests/new/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "---------" not in main
    assert '<option value="" selected>Choose a category</option>' in main


@pytest.fixture
def ineligible_claim(enterprise, science_policy):
    return Claim.objects.create(
        enterprise=enterprise,
        policy=science_policy,
        version=science_policy.versions.get(),
        period="2026",
        status=ClaimStatus.INELIGIBLE,
        decision={
            "status": "ineligible",
            "criteria": [
                {
                    "id": "staff",
                    "label": "参保人数不少于10人",
                    "fact": "hrss.insured_employees",
                    "value": 3,
                    "op": ">=",
                    "threshold": 10,
                    "met": False,
                    "department": "hrss",
                }
            ],
        },
    )


def test_a_claim_and_its_failed_fact_prefill_the_request(member, ineligible_claim):
    response = page(member).get(
        f"/requests/new/?claim={ineligible_claim.pk}&fact=hrss.insured_employees",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["enterprise"] == ineligible_claim.enterprise.uscc
    assert form.initial["policy"] == "rd-award"
    assert form.initial["category"] == Category.objects.get(code="policy_question").pk
    subject, body = form.initial["subject"], form.initial["description"]
    assert "Employees insured, this month" in subject and "R&D award" in subject
    # Plain words: the claim, the condition, the department holding the fact, its value.
    assert f"no. {ineligible_claim.pk}" in body and "参保人数不少于10人" in body
    assert "3 persons" in body
    assert "Human Resources" in body or "人力资源" in body
    assert "hrss.insured_employees" not in body and "False" not in body
    main = main_of(response)
    assert "Employees insured, this month" in main  # rendered into the fields


def test_a_claim_without_a_fact_prefills_a_question_about_it(member, ineligible_claim):
    response = page(member).get(f"/requests/new/?claim={ineligible_claim.pk}")
    assert response.status_code == 200
    assert str(ineligible_claim.pk) in response.context["form"].initial["description"]


def test_another_enterprises_claim_is_not_found(other_member, ineligible_claim):
    assert page(other_member).get(f"/requests/new/?claim={ineligible_claim.pk}").status_code == 404
    assert page(other_member).get("/requests/new/?claim=abc").status_code == 404


def test_a_policy_code_prefills_the_policy(member, science_policy):
    response = page(member).get("/requests/new/?policy=rd-award")
    assert response.status_code == 200
    assert response.context["form"].initial["policy"] == "rd-award"
    response = page(member).get("/requests/new/?policy=nope", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and "policy" not in response.context["form"].initial
    assert "nope" in response.content.decode()  # says the code matched no policy


def test_the_prefilled_request_is_sent_to_the_policys_department(member, ineligible_claim):
    client = page(member)
    initial = (
        client.get(f"/requests/new/?claim={ineligible_claim.pk}&fact=hrss.insured_employees")
        .context["form"]
        .initial
    )
    response = client.post(
        "/requests/new/",
        {**initial, "description": initial["description"] + "应为12人。", "send": "1"},
    )
    assert response.status_code == 302
    created = member.direct_requests.get()
    assert created.policy.code == "rd-award" and created.department.code == "science"


def test_a_member_of_two_enterprises_prefills_with_the_claims_enterprise(
    member, ineligible_claim, categories
):
    second = EnterpriseFactory()
    from enterprises.models import EnterpriseMembership

    EnterpriseMembership.objects.create(enterprise=second, user=member, role="agent")
    response = page(member).get(f"/requests/new/?claim={ineligible_claim.pk}")
    assert response.context["form"].initial["enterprise"] == ineligible_claim.enterprise.uscc
