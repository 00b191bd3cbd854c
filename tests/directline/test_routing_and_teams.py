"""Routing by the policy a request is about, the coordinating office forwarding, working a
request as a team (assigning to a colleague), and asking for information on a reopened
request: services, API (JSON) and pages."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from directline.models import Category, Request, RequestHop, RequestStatus
from directline.services.department_side import (
    answer,
    ask_for_information,
    assign,
    supply_information,
    transfer,
)
from directline.services.enterprise_side import rate
from directline.services.raising import raise_request
from directline.services.refusals import NotAllowed, RequestConflict, RequestRefused
from qinqing.audit.models import AuditEvent
from qinqing.notifications.models import Notification
from tests.factories import OfficialFactory, department, district

from .conftest import make_policy

pytestmark = pytest.mark.django_db
URL = "/api/v1/requests/"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def page(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def about_policy(member, enterprise, policy, **extra):
    return raise_request(
        actor=member,
        enterprise=enterprise,
        category=Category.objects.get(code="policy_question"),
        subject="研发奖励怎么申请？",
        description="我们的研发投入可以申请奖励吗？",
        policy=policy,
        **extra,
    )


# --- routing by policy -----------------------------------------------------------------------


def test_a_request_naming_a_policy_goes_to_the_policys_department(
    member, enterprise, science_policy
):
    request = about_policy(member, enterprise, science_policy)
    assert request.department.code == "science" and request.policy == science_policy
    hop = RequestHop.objects.get(request=request)
    assert hop.from_department.code == "data" and hop.to_department.code == "science"
    assert "rd-award" in hop.reason
    event = AuditEvent.objects.get(action="directline.request.raised")
    assert event.after["policy"] == "rd-award"


def test_without_a_policy_the_same_words_go_to_the_coordinating_office(member, enterprise):
    request = about_policy(member, enterprise, None)
    assert request.department.code == "data" and request.policy is None


def test_a_policy_never_published_cannot_be_named(member, enterprise, categories):
    draft = make_policy(code="draft-only", status="draft")
    with pytest.raises(RequestRefused):
        about_policy(member, enterprise, draft)
    assert not Request.objects.exists()


def test_the_api_takes_the_policy_on_create(member, enterprise, science_policy):
    body = {
        "enterprise": enterprise.uscc,
        "category": "policy_question",
        "subject": "研发奖励",
        "description": "能否申请？",
        "policy": "rd-award",
    }
    response = api(member).post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["department"] == "science"
    assert response.json()["policy"] == "rd-award"
    response = api(member).post(URL, {**body, "policy": "no-such-policy"}, format="json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "policy" in response.json()["fields"]
    assert Request.objects.count() == 1


def test_the_form_takes_the_policy_and_routes_by_it(member, enterprise, science_policy):
    response = page(member).post(
        "/requests/new/",
        {
            "enterprise": enterprise.uscc,
            "category": Category.objects.get(code="policy_question").pk,
            "policy": "rd-award",
            "subject": "研发奖励",
            "description": "能否申请？",
            "send": "1",
        },
    )
    assert response.status_code == 302
    assert Request.objects.get().department.code == "science"


# --- the coordinating office forwards ----------------------------------------------------------


def test_the_coordinating_office_forwards_to_the_policys_department(
    member, enterprise, science_policy, coordinator
):
    request = about_policy(member, enterprise, None)
    assert request.department.code == "data"
    scientist = OfficialFactory(department=department("science"), district=None)
    transfer(request.pk, actor=coordinator, policy=science_policy, reason="关于研发奖励")
    request.refresh_from_db()
    assert request.department.code == "science" and request.policy == science_policy
    assert Notification.objects.filter(recipient=scientist, kind="directline.request").exists()
    event = AuditEvent.objects.get(action="directline.request.transferred")
    assert event.after["policy"] == "rd-award" and event.before["department"] == "data"


def test_forwarding_through_the_api_and_the_page(member, enterprise, science_policy, coordinator):
    first = about_policy(member, enterprise, None)
    response = api(coordinator).post(
        f"{URL}{first.pk}/transfer/", {"policy": "rd-award", "reason": "研发奖励"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["department"] == "science" and response.json()["policy"] == "rd-award"
    second = about_policy(member, enterprise, None)
    response = api(coordinator).post(f"{URL}{second.pk}/transfer/", {"reason": "?"}, format="json")
    assert response.status_code == 400 and "department" in response.json()["fields"]
    response = page(coordinator).post(
        f"/requests/{second.pk}/transfer/",
        {"policy": "rd-award", "department": "", "reason": "研发奖励"},
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.department.code == "science"


# --- working a request as a team -------------------------------------------------------------


def test_an_official_assigns_a_request_to_a_colleague(raise_one, tax_official):
    request = raise_one()
    colleague = OfficialFactory(
        department=department("taxation"), district=None, display_name="王科员"
    )
    assign(request.pk, actor=tax_official, assignee=colleague)
    request.refresh_from_db()
    assert request.assignee == colleague
    event = AuditEvent.objects.get(action="directline.request.assigned")
    assert event.actor == tax_official and event.after == {"assignee": colleague.pk}
    told = Notification.objects.get(recipient=colleague, kind="directline.request")
    assert told.link == f"/requests/queue/{request.pk}/"
    with pytest.raises(RequestConflict):  # already theirs
        assign(request.pk, actor=tax_official, assignee=colleague)


def test_only_a_colleague_covering_the_district_may_be_assigned(raise_one, tax_official, member):
    request = raise_one()
    elsewhere = OfficialFactory(department=department("market"), district=None)
    other_district = OfficialFactory(
        department=department("taxation"), district=district("binjiang")
    )
    if request.district.code == "binjiang":  # pragma: no cover - factories choose the district
        other_district.district = district("xihu")
        other_district.save()
    for wrong in (elsewhere, other_district, member):
        with pytest.raises(RequestRefused):
            assign(request.pk, actor=tax_official, assignee=wrong)
    with pytest.raises(NotAllowed):  # only the department's officials assign
        assign(request.pk, actor=elsewhere, assignee=tax_official)
    request.refresh_from_db()
    assert request.assignee is None


def test_assigning_through_the_api_and_the_page(raise_one, tax_official):
    request = raise_one()
    colleague = OfficialFactory(department=department("taxation"), district=None)
    response = api(tax_official).post(
        f"{URL}{request.pk}/assign/", {"assignee": colleague.pk}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["assignee"] == colleague.pk
    stranger = OfficialFactory(department=department("market"), district=None)
    response = api(tax_official).post(
        f"{URL}{request.pk}/assign/", {"assignee": stranger.pk}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "refused"
    response = api(tax_official).post(
        f"{URL}{request.pk}/assign/", {"assignee": "x"}, format="json"
    )
    assert response.status_code == 400
    detail = page(tax_official).get(f"/requests/queue/{request.pk}/").content.decode()
    assert 'name="assignee"' in detail
    response = page(tax_official).post(
        f"/requests/{request.pk}/assign/", {"assignee": str(tax_official.pk)}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.assignee == tax_official
    queue = page(colleague).get("/requests/queue/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"assigned to {tax_official.display_name or tax_official.username}" in queue


def _reopened(raise_one, member, official):
    request = raise_one()
    answer(request.pk, actor=official, text="请登录电子税务局。")
    rate(request.pk, actor=member, rating="unsatisfied", comment="没有解决问题")
    request.refresh_from_db()
    assert request.status == RequestStatus.REOPENED
    return request


def test_a_reopened_request_can_be_asked_about_and_returns_to_the_supervisor(
    raise_one, member, tax_official
):
    supervisor = OfficialFactory(
        department=department("taxation"), district=None, is_supervisor=True
    )
    request = _reopened(raise_one, member, tax_official)
    ask_for_information(request.pk, actor=supervisor, message="请提供发票号码。")
    request.refresh_from_db()
    assert request.status == RequestStatus.INFO_REQUESTED and request.deadline is None
    with pytest.raises(NotAllowed):  # still the supervisor's while the enterprise answers
        answer(request.pk, actor=tax_official, text="再答复")
    supply_information(request.pk, actor=member, message="发票号码 12345678")
    request.refresh_from_db()
    assert request.status == RequestStatus.REOPENED and request.deadline is not None
    assert (
        Notification.objects.filter(recipient=supervisor, title__contains=request.subject).count()
        >= 2
    )  # reopened to them, then the information supplied
    answer(request.pk, actor=supervisor, text="已核实并处理。")
    request.refresh_from_db()
    assert request.status == RequestStatus.ANSWERED


def test_asking_on_a_reopened_request_through_the_api(raise_one, member, tax_official):
    request = _reopened(raise_one, member, tax_official)  # reopened to tax_official
    response = api(tax_official).post(
        f"{URL}{request.pk}/ask/", {"text": "请补充材料。"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "info_requested"
    response = api(member).post(f"{URL}{request.pk}/supply/", {"text": "已补充。"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "reopened"
    detail = page(tax_official).get(f"/requests/queue/{request.pk}/").content.decode()
    assert 'id="ask-text"' in detail


def test_a_reopened_request_assigned_by_the_supervisor_is_the_colleagues_to_answer(
    raise_one, member, tax_official
):
    supervisor = OfficialFactory(
        department=department("taxation"), district=None, is_supervisor=True
    )
    request = _reopened(raise_one, member, tax_official)
    with pytest.raises(NotAllowed):  # reopened: not the first official's any more
        assign(request.pk, actor=tax_official, assignee=tax_official)
    assign(request.pk, actor=supervisor, assignee=tax_official)
    answer(request.pk, actor=tax_official, text="已上门指导。")
    request.refresh_from_db()
    assert request.status == RequestStatus.ANSWERED and request.answered_by == tax_official


def test_the_demo_gives_the_coordinating_office_officials_who_forward(categories):
    """`seed_demo` (the demo logins of `make run`): the office that receives what no rule
    fits has officials, and they may forward what it receives."""
    from io import StringIO

    from django.core.management import call_command

    from accounts.models import User
    from directline.models import COORDINATING_OFFICE
    from directline.services.access import is_request_official

    call_command("seed_demo", enterprises=20, stdout=StringIO())
    forwarders = User.objects.filter(department__code=COORDINATING_OFFICE, is_active=True)
    assert forwarders.count() >= 2 and all(u.has_usable_password() for u in forwarders)
    demo = User.objects.get(username="enterprise")
    enterprise = demo.enterprise_memberships.first().enterprise
    request = raise_request(
        actor=demo,
        enterprise=enterprise,
        category=Category.objects.get(code="suggestion"),
        subject="园区路灯",
        description="园区门口路灯坏了。",
    )
    assert request.department.code == COORDINATING_OFFICE
    forwarder = forwarders.get(username="data_city")
    assert is_request_official(forwarder, request)
    transfer(request.pk, actor=forwarder, department=department("housing"), reason="物业")
