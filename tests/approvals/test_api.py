"""/api/v1/approvals/: the applicant's and the departments' actions, scoped, with clear
errors."""

import pytest
from rest_framework.test import APIClient

from approvals.models import Application, ApplicationStatus, ItemStatus, Permit
from tests.factories import AuditorFactory, EnterpriseFactory, member_of

from .conftest import FIVE_ITEM_PROJECT, officials_for, submitted_project

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_applicant_drafts_answers_and_submits(applicant):
    user, enterprise = applicant
    api = client_for(user)
    started = api.post(
        "/api/v1/approvals/applications/",
        {"package": "industrial-project", "uscc": enterprise.uscc},
        format="json",
    )
    assert started.status_code == 201, started.content
    assert started.json()["prefill"]["district"]["source"] == "register"
    url = f"/api/v1/approvals/applications/{started.json()['id']}/"
    bad = api.patch(url, {"answers": {"floor_area": "a lot"}}, format="json")
    assert bad.status_code == 400 and "floor_area" in bad.json()["fields"]
    saved = api.patch(url, {"answers": FIVE_ITEM_PROJECT}, format="json")
    assert saved.status_code == 200
    submitted = api.post(url + "submit/", {}, format="json")
    assert submitted.status_code == 200
    assert submitted.json()["status"] == ApplicationStatus.IN_REVIEW
    assert len(submitted.json()["items"]) == 5
    again = api.post(url + "submit/", {}, format="json")
    assert again.status_code == 409 and again.json()["detail"]


def test_a_project_for_an_enterprise_not_yours_is_not_found(applicant):
    other = EnterpriseFactory()
    answer = client_for(applicant[0]).post(
        "/api/v1/approvals/applications/",
        {"package": "industrial-project", "uscc": other.uscc},
        format="json",
    )
    assert answer.status_code == 404
    assert not Application.objects.exists()


def test_officials_act_on_their_items_only(applicant, project_package):
    application = submitted_project(applicant, project_package)
    filing = application.items.get(item_type__code="project-filing")
    ndrc, planning = officials_for("ndrc"), officials_for("planning")
    url = f"/api/v1/approvals/items/{filing.pk}/"
    assert client_for(planning).post(url + "approve/", {}, format="json").status_code == 404
    mine = client_for(ndrc).get("/api/v1/approvals/items/").json()
    assert [row["id"] for row in mine["results"]] == [filing.pk]
    assert set(mine["results"][0]["answers"]) == {
        "project_name",
        "district",
        "industry_division",
        "total_investment",
        "production_capacity",
    }
    # The applicant sees the item but may not decide it.
    assert client_for(applicant[0]).post(url + "approve/", {}, format="json").status_code == 403
    approved = client_for(ndrc).post(url + "approve/", {"text": "符合"}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == ItemStatus.APPROVED
    permit = approved.json()["permit"]
    assert permit["valid"] is True
    again = client_for(ndrc).post(url + "approve/", {}, format="json")
    assert again.status_code == 409


def test_a_rejection_needs_reasons_and_the_supplement_thread_works(applicant, project_package):
    application = submitted_project(applicant, project_package)
    eia = application.items.get(item_type__code="eia-approval")
    ecology = client_for(officials_for("ecology"))
    url = f"/api/v1/approvals/items/{eia.pk}/"
    assert ecology.post(url + "reject/", {"text": ""}, format="json").status_code == 400
    asked = ecology.post(url + "request-supplement/", {"text": "请补充监测方案"}, format="json")
    assert asked.json()["status"] == ItemStatus.SUPPLEMENT
    assert asked.json()["clock"]["paused"] is True
    answered = client_for(applicant[0]).post(
        url + "answer-supplement/", {"text": "已补充"}, format="json"
    )
    assert answered.status_code == 200 and answered.json()["status"] == ItemStatus.PENDING
    assert [m["kind"] for m in answered.json()["messages"]] == [
        "supplement_request",
        "supplement_answer",
    ]


def test_lists_are_scoped(applicant, project_package):
    submitted_project(applicant, project_package)
    stranger = member_of(EnterpriseFactory())
    assert client_for(stranger).get("/api/v1/approvals/applications/").json()["count"] == 0
    assert client_for(applicant[0]).get("/api/v1/approvals/applications/").json()["count"] == 1
    assert (
        client_for(officials_for("ndrc", "binjiang"))
        .get("/api/v1/approvals/items/")
        .json()["count"]
        == 0
    )
    assert client_for(AuditorFactory()).get("/api/v1/approvals/items/").json()["count"] == 5
    assert APIClient().get("/api/v1/approvals/items/").status_code in (401, 403)


def test_anyone_can_verify_a_permit_by_its_code(applicant, project_package):
    application = submitted_project(applicant, project_package)
    filing = application.items.get(item_type__code="project-filing")
    client_for(officials_for("ndrc")).post(
        f"/api/v1/approvals/items/{filing.pk}/approve/", {}, format="json"
    )
    permit = Permit.objects.get()
    answer = APIClient().get(f"/api/v1/approvals/permits/{permit.verification_code.lower()}/")
    assert answer.status_code == 200
    assert answer.json()["valid"] is True and answer.json()["holder"] == applicant[1].name
    assert APIClient().get("/api/v1/approvals/permits/NOPE/").status_code == 404


GARBAGE = [
    b"{not json",
    b'{"text": [], "passed": "maybe", "username": 7, "item_ids": "x",'
    b' "answers": [], "disputes": {"x": []}, "on_commitment": {}}',
    b"",
    b"null",
]


def test_no_body_to_any_action_on_a_real_item_makes_a_500(applicant, project_package):
    application = submitted_project(applicant, project_package)
    item = application.items.get(item_type__code="project-filing")
    urls = [
        f"/api/v1/approvals/applications/{application.pk}/{action}"
        for action in ("", "submit/", "commit/")
    ]  # withdraw takes no body
    urls += [
        f"/api/v1/approvals/items/{item.pk}/{action}"
        for action in (
            "approve/",
            "reject/",
            "request-supplement/",
            "answer-supplement/",
            "resubmit/",
            "assign/",
            "verify/",
        )
    ]
    failures = []
    for who in (applicant[0], officials_for("ndrc"), officials_for("planning")):
        api = client_for(who)
        for url in urls:
            for body in GARBAGE:
                for method in ("post", "patch"):
                    answer = getattr(api, method)(url, data=body, content_type="application/json")
                    if answer.status_code >= 500 or not answer.content:
                        failures.append((who.username, method, url, body, answer.status_code))
    assert failures == []
    # An empty body is a valid approval (the note is optional); it happened once.
    assert Permit.objects.filter(item=item).count() == 1
