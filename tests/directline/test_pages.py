"""Pages: raise (with suggested answers first), follow and rate; the officials' queue by
time left; the public answers; each scoped."""

import pytest
from django.test import Client

from directline.models import Request, RequestStatus
from directline.services.department_side import answer
from directline.services.publication import publish
from tests.factories import AuditorFactory, OfficialFactory, department, district

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(enterprise, **extra):
    return {
        "enterprise": enterprise.uscc,
        "category": _category("policy_question"),
        "subject": "发票问题",
        "description": "发票无法开具。",
        **extra,
    }


def _category(code):
    from directline.models import Category

    return Category.objects.get(code=code).pk


def test_checking_shows_published_answers_before_sending(
    raise_one, member, enterprise, tax_official
):
    earlier = raise_one(subject="发票开具", description="发票怎么开？")
    answer(earlier.pk, actor=tax_official, text="登录电子税务局开具。")
    publish(earlier.pk, actor=tax_official)
    response = client_for(member).post("/requests/new/", _form(enterprise, check="1"))
    assert response.status_code == 200
    assert "登录电子税务局开具。" in response.content.decode()
    assert Request.objects.count() == 1  # nothing sent yet


def test_sending_raises_the_request(member, enterprise):
    response = client_for(member).post("/requests/new/", _form(enterprise, send="1"))
    created = Request.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/requests/{created.pk}/"
    page = client_for(member).get("/requests/").content.decode()
    assert "发票问题" in page


def test_an_empty_description_is_refused_on_the_form(member, enterprise):
    response = client_for(member).post(
        "/requests/new/", _form(enterprise, description="", send="1")
    )
    assert response.status_code == 200 and not Request.objects.exists()


def test_another_enterprise_cannot_be_chosen(member, other_member):
    other = other_member.enterprise_memberships.get().enterprise
    client_for(member).post("/requests/new/", _form(other, send="1"))
    assert not Request.objects.exists()


def test_pages_are_scoped(raise_one, member, other_member, tax_official):
    request = raise_one()
    assert client_for(member).get(f"/requests/{request.pk}/").status_code == 200
    assert client_for(other_member).get(f"/requests/{request.pk}/").status_code == 404
    assert client_for(tax_official).get(f"/requests/queue/{request.pk}/").status_code == 200
    market = OfficialFactory(department=department("market"), district=None)
    assert client_for(market).get(f"/requests/queue/{request.pk}/").status_code == 404
    assert request.subject in client_for(tax_official).get("/requests/queue/").content.decode()
    assert request.subject not in client_for(market).get("/requests/queue/").content.decode()
    binjiang = OfficialFactory(department=department("taxation"), district=district("binjiang"))
    assert request.subject not in client_for(binjiang).get("/requests/queue/").content.decode()
    assert request.subject in client_for(AuditorFactory()).get("/requests/queue/").content.decode()
    assert client_for(member).get("/requests/queue/").status_code == 403
    assert (
        client_for(other_member)
        .post(f"/requests/{request.pk}/rate/", {"rating": "satisfied"})
        .status_code
        == 404
    )


def test_answer_then_rate_on_the_pages(raise_one, member, tax_official):
    request = raise_one()
    response = client_for(tax_official).post(
        f"/requests/{request.pk}/answer/", {"text": "请登录电子税务局。"}
    )
    assert response["Location"] == f"/requests/queue/{request.pk}/"
    page = client_for(member).get(f"/requests/{request.pk}/").content.decode()
    assert "请登录电子税务局。" in page and 'name="rating"' in page
    client_for(member).post(f"/requests/{request.pk}/rate/", {"rating": "satisfied"})
    request.refresh_from_db()
    assert request.status == RequestStatus.CLOSED


def test_a_refused_action_shows_its_message_and_changes_nothing(raise_one, tax_official):
    request = raise_one()
    response = client_for(tax_official).post(
        f"/requests/{request.pk}/answer/", {"text": ""}, follow=True
    )
    assert "cannot be empty" in response.content.decode() or "不能为空" in response.content.decode()
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN


def test_the_public_answers_page_needs_no_login(raise_one, tax_official, enterprise):
    """The question names the enterprise; the public page must not."""
    request = raise_one(description=f"{enterprise.name}的增值税发票无法开具，请问如何处理？")
    answer(request.pk, actor=tax_official, text="答复内容")
    publish(request.pk, actor=tax_official)
    page = Client().get("/requests/answers/?q=发票").content.decode()
    assert "答复内容" in page and "增值税发票无法开具" in page
    assert enterprise.name not in page


def test_a_transfer_on_the_page_returns_to_the_queue(raise_one, tax_official):
    request = raise_one()
    response = client_for(tax_official).post(
        f"/requests/{request.pk}/transfer/", {"department": "market", "reason": "职责不符"}
    )
    assert response["Location"] == "/requests/queue/"
    request.refresh_from_db()
    assert request.department.code == "market"
