"""/api/v1/requests/: scoped lists and details, actions through the services, bad input
answered with a clear 4xx and nothing changed."""

import pytest
from rest_framework.test import APIClient

from directline.models import Request, RequestStatus
from tests.factories import AuditorFactory, OfficialFactory, department, district

pytestmark = pytest.mark.django_db
URL = "/api/v1/requests/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_enterprise_member_raises_a_request(member, enterprise):
    response = client_for(member).post(
        URL,
        {
            "enterprise": enterprise.uscc,
            "category": "policy_question",
            "subject": "发票问题",
            "description": "发票无法开具。",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["department"] == "taxation" and body["status"] == "open"
    assert body["remaining_seconds"] > 0 and body["hops"][0]["to_department"] == "taxation"


@pytest.mark.parametrize("subject", ["", "长" * 201])
def test_empty_or_oversized_text_is_a_400_with_a_message(member, enterprise, subject):
    response = client_for(member).post(
        URL,
        {
            "enterprise": enterprise.uscc,
            "category": "policy_question",
            "subject": subject,
            "description": "正文",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["detail"][0]
    assert not Request.objects.exists()


def test_raising_for_another_enterprise_is_refused(other_member, enterprise):
    response = client_for(other_member).post(
        URL,
        {
            "enterprise": enterprise.uscc,
            "category": "policy_question",
            "subject": "标题",
            "description": "正文",
        },
        format="json",
    )
    assert response.status_code == 403
    assert not Request.objects.exists()


def test_lists_are_scoped(raise_one, member, other_member, tax_official):
    mine = raise_one()
    ids = lambda user: [row["id"] for row in client_for(user).get(URL).json()["results"]]  # noqa: E731
    assert ids(member) == [mine.pk]
    assert ids(other_member) == []
    assert ids(tax_official) == [mine.pk]
    assert ids(OfficialFactory(department=department("market"), district=None)) == []
    assert (
        ids(OfficialFactory(department=department("taxation"), district=district("binjiang"))) == []
    )
    assert ids(OfficialFactory(department=department("taxation"), district=district("xihu"))) == [
        mine.pk
    ]
    assert ids(AuditorFactory()) == [mine.pk]
    assert client_for(other_member).get(f"{URL}{mine.pk}/").status_code == 404


def test_answer_and_rate_through_the_api(raise_one, member, tax_official):
    request = raise_one()
    response = client_for(tax_official).post(
        f"{URL}{request.pk}/answer/", {"text": "请登录电子税务局。"}
    )
    assert response.status_code == 200 and response.json()["status"] == "answered"
    response = client_for(member).post(f"{URL}{request.pk}/rate/", {"rating": "basically"})
    assert response.status_code == 200 and response.json()["status"] == "closed"


def test_answering_another_departments_request_changes_nothing(raise_one):
    request = raise_one()
    market = OfficialFactory(department=department("market"), district=None)
    response = client_for(market).post(f"{URL}{request.pk}/answer/", {"text": "答复"})
    assert response.status_code == 404
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN and request.answer == ""


def test_rating_someone_elses_request_changes_nothing(raise_one, other_member, tax_official):
    request = raise_one()
    client_for(tax_official).post(f"{URL}{request.pk}/answer/", {"text": "答复"})
    response = client_for(other_member).post(f"{URL}{request.pk}/rate/", {"rating": "satisfied"})
    assert response.status_code == 404
    request.refresh_from_db()
    assert request.status == RequestStatus.ANSWERED and request.rating == ""


def test_the_enterprise_may_not_answer_its_own_request(raise_one, member):
    request = raise_one()
    response = client_for(member).post(f"{URL}{request.pk}/answer/", {"text": "自问自答"})
    assert response.status_code == 403 and response.json()["detail"]


def test_an_empty_answer_is_a_400(raise_one, tax_official):
    request = raise_one()
    response = client_for(tax_official).post(f"{URL}{request.pk}/answer/", {"text": "  "})
    assert response.status_code == 400
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN


def test_ask_supply_transfer_publish_and_refuse(raise_one, member, tax_official):
    request = raise_one()
    tax = client_for(tax_official)
    assert tax.post(f"{URL}{request.pk}/ask/", {"text": "请补充发票号。"}).json()["status"] == (
        "info_requested"
    )
    assert tax.post(f"{URL}{request.pk}/ask/", {"text": "再问"}).status_code == 409
    enterprise = client_for(member)
    assert (
        enterprise.post(f"{URL}{request.pk}/supply/", {"text": "12345"}).json()["status"] == "open"
    )
    body = tax.post(
        f"{URL}{request.pk}/transfer/", {"department": "market", "reason": "职责"}
    ).json()
    assert body["department"] == "market" and len(body["hops"]) == 2
    market = client_for(OfficialFactory(department=department("market"), district=None))
    market.post(f"{URL}{request.pk}/answer/", {"text": "答复"})
    assert market.post(f"{URL}{request.pk}/publish/").json()["published"] is True
    body = enterprise.post(f"{URL}{request.pk}/refuse-publication/").json()
    assert body["published"] is False and body["publication_refused"] is True


def test_the_schema_documents_the_endpoints(categories):
    response = client_for(AuditorFactory()).get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/requests/{id}/rate/" in response.content


def test_every_hop_names_the_department_it_came_from(raise_one, member, tax_official):
    """The schema documents `from_department` as a string: routing comes from the
    coordinating office, where every request enters; a transfer from the department before."""
    from directline.services.department_side import transfer

    request = raise_one()
    transfer(request.pk, actor=tax_official, department=department("market"), reason="工商登记")
    hops = client_for(member).get(f"{URL}{request.pk}/").json()["hops"]
    assert [(hop["from_department"], hop["to_department"]) for hop in hops] == [
        ("data", "taxation"),
        ("taxation", "market"),
    ]
