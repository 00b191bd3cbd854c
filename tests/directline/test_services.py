"""Routing, the clock (with pauses), deadline sweeps, transfer, rating and reopening,
publication with anonymisation: the rules of the direct line."""

from datetime import timedelta

import pytest

from directline.models import (
    Category,
    PublishedAnswer,
    Request,
    RequestHop,
    RequestStatus,
    RoutingRule,
)
from directline.services.deadlines import watch_deadlines
from directline.services.department_side import (
    answer,
    ask_for_information,
    supply_information,
    transfer,
)
from directline.services.enterprise_side import rate, refuse_publication
from directline.services.publication import publish, search_answers
from directline.services.refusals import NotAllowed, RequestRefused
from qinqing.audit.models import AuditEvent
from qinqing.errors import Conflict
from qinqing.notifications.models import Notification
from qinqing.workhours.case_services import read_clock
from qinqing.workhours.clock import add_working_time
from tests.factories import OfficialFactory, department, district

from .conftest import TUESDAY_9AM

pytestmark = pytest.mark.django_db


def _start_at(request: Request, moment) -> Request:
    Request.objects.filter(pk=request.pk).update(started_at=moment)
    request.refresh_from_db()
    return request


# --- routing -------------------------------------------------------------------------------


def test_a_keyword_rule_routes_to_its_department_and_the_hop_is_recorded(raise_one):
    request = raise_one()
    assert request.department.code == "taxation"
    hop = RequestHop.objects.get(request=request)
    assert hop.to_department.code == "taxation" and hop.from_department.code == "data"
    assert hop.rule is not None and "发票" in hop.rule.keywords
    assert AuditEvent.objects.filter(action="directline.request.raised").count() == 1


def test_without_a_fitting_rule_the_coordinating_office_receives_it(raise_one):
    request = raise_one(subject="园区道路照明", description="园区门口路灯坏了很久。")
    assert request.department.code == "data"
    assert RequestHop.objects.get(request=request).rule is None


def test_rules_match_on_category_district_and_industry_by_priority(raise_one, enterprise):
    category = Category.objects.get(code="difficulty")
    RoutingRule.objects.create(
        priority=1,
        category=category,
        district=district("xihu"),
        industry_section="I",
        department=department("economy"),
    )
    RoutingRule.objects.create(
        priority=2,
        category=category,
        district=district("binjiang"),
        department=department("market"),
    )
    assert raise_one(category="difficulty").department.code == "economy"
    assert raise_one(category="policy_question").department.code == "taxation"
    enterprise.industry_section = "C"
    enterprise.industry_division = "38"
    enterprise.save()
    assert raise_one(category="difficulty").department.code == "taxation"


@pytest.mark.parametrize(
    ("subject", "description"),
    [("", "正文"), ("   ", "正文"), ("标题", ""), ("长" * 201, "正文"), ("标题", "长" * 5001)],
)
def test_empty_or_oversized_text_is_refused_and_nothing_is_made(raise_one, subject, description):
    with pytest.raises(RequestRefused):
        raise_one(subject=subject, description=description)
    assert not Request.objects.exists()


def test_only_a_member_of_the_enterprise_may_raise_for_it(raise_one, other_member):
    with pytest.raises(NotAllowed):
        raise_one(actor=other_member)
    assert not Request.objects.exists()


# --- the clock -----------------------------------------------------------------------------


def test_the_deadline_is_the_category_limit_in_working_hours(raise_one):
    request = _start_at(raise_one(), TUESDAY_9AM)
    limit = Category.objects.get(code="policy_question").limit_hours
    clock = read_clock(request, TUESDAY_9AM)
    assert clock.deadline == add_working_time(TUESDAY_9AM, limit * 3600)
    assert clock.remaining_seconds == limit * 3600


def test_asking_for_information_pauses_the_clock_until_it_is_supplied(
    raise_one, member, tax_official
):
    request = _start_at(raise_one(), TUESDAY_9AM)
    ask_for_information(request.pk, actor=tax_official, message="请提供发票号码。")
    request.refresh_from_db()
    assert request.status == RequestStatus.INFO_REQUESTED and request.deadline is None
    one_hour_in = TUESDAY_9AM + timedelta(hours=1)
    next_day = TUESDAY_9AM + timedelta(days=1)
    request.pauses.update(started_at=one_hour_in)
    supply_information(request.pk, actor=member, message="号码是 12345。")
    request.pauses.update(ended_at=next_day)
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN
    clock = read_clock(request, next_day)
    # One hour was used before the pause; the rest counts from the end of the pause.
    assert clock.deadline == add_working_time(next_day, (request.limit_hours - 1) * 3600)
    assert clock.elapsed_seconds == 3600


def test_supplying_information_nobody_asked_for_is_refused(raise_one, member):
    request = raise_one()
    with pytest.raises(Conflict):
        supply_information(request.pk, actor=member, message="补充")


# --- warnings and escalation ------------------------------------------------------------------


def test_warning_at_80_percent_and_escalation_each_happen_once(raise_one, tax_official):
    supervisor = OfficialFactory(
        department=department("taxation"), district=None, is_supervisor=True
    )
    request = _start_at(raise_one(), TUESDAY_9AM)
    limit = request.limit_hours * 3600
    at_85 = add_working_time(TUESDAY_9AM, int(limit * 0.85))
    after = add_working_time(TUESDAY_9AM, limit + 60)
    Notification.objects.all().delete()

    assert watch_deadlines(TUESDAY_9AM + timedelta(minutes=5)) == {
        "warned": 0,
        "escalated": 0,
    }
    assert watch_deadlines(at_85) == {"warned": 1, "escalated": 0}
    assert watch_deadlines(at_85) == {"warned": 0, "escalated": 0}
    assert watch_deadlines(after) == {"warned": 0, "escalated": 1}
    assert watch_deadlines(after + timedelta(days=3)) == {"warned": 0, "escalated": 0}
    assert (
        Notification.objects.filter(kind="directline.deadline", recipient=supervisor).count() == 2
    )
    assert AuditEvent.objects.filter(action="directline.request.escalated").count() == 1


def test_a_paused_request_is_not_escalated(raise_one, tax_official):
    request = _start_at(raise_one(), TUESDAY_9AM)
    ask_for_information(request.pk, actor=tax_official, message="请补充。")
    assert watch_deadlines(TUESDAY_9AM + timedelta(days=30)) == {
        "warned": 0,
        "escalated": 0,
    }


# --- transfer and answering ----------------------------------------------------------------------


def test_transfer_records_the_hop_and_the_old_department_can_no_longer_answer(
    raise_one, tax_official
):
    request = raise_one()
    market = OfficialFactory(department=department("market"), district=None)
    transfer(
        request.pk, actor=tax_official, department=department("market"), reason="属于市场监管职责。"
    )
    request.refresh_from_db()
    assert request.department.code == "market"
    hop = request.hops.last()
    assert (hop.from_department.code, hop.to_department.code) == ("taxation", "market")
    assert hop.reason == "属于市场监管职责。" and hop.actor == tax_official
    with pytest.raises(NotAllowed):
        answer(request.pk, actor=tax_official, text="答复")
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN and request.answer == ""
    answer(request.pk, actor=market, text="请到窗口办理。")
    request.refresh_from_db()
    assert request.status == RequestStatus.ANSWERED and request.answered_by == market


def test_a_transfer_needs_a_reason(raise_one, tax_official):
    request = raise_one()
    with pytest.raises(RequestRefused):
        transfer(request.pk, actor=tax_official, department=department("market"), reason=" ")
    assert request.hops.count() == 1


def test_an_official_of_another_district_may_not_answer(raise_one):
    request = raise_one()
    binjiang = OfficialFactory(department=department("taxation"), district=district("binjiang"))
    with pytest.raises(NotAllowed):
        answer(request.pk, actor=binjiang, text="答复")


# --- rating and reopening -------------------------------------------------------------------------


def _answered(raise_one, official):
    request = raise_one()
    answer(request.pk, actor=official, text="请登录电子税务局开具。")
    return request


def test_satisfied_closes(raise_one, member, tax_official):
    request = _answered(raise_one, tax_official)
    rate(request.pk, actor=member, rating="satisfied")
    request.refresh_from_db()
    assert request.status == RequestStatus.CLOSED and request.rating == "satisfied"


def test_rating_someone_elses_request_is_refused(raise_one, other_member, tax_official):
    request = _answered(raise_one, tax_official)
    with pytest.raises(NotAllowed):
        rate(request.pk, actor=other_member, rating="satisfied")
    request.refresh_from_db()
    assert request.status == RequestStatus.ANSWERED and request.rating == ""


def test_unsatisfied_reopens_once_to_the_supervisor(raise_one, member, tax_official):
    supervisor = OfficialFactory(
        department=department("taxation"), district=None, is_supervisor=True
    )
    request = _answered(raise_one, tax_official)
    with pytest.raises(RequestRefused):  # unsatisfied needs a comment
        rate(request.pk, actor=member, rating="unsatisfied")
    rate(request.pk, actor=member, rating="unsatisfied", comment="没有解决问题")
    request.refresh_from_db()
    assert request.status == RequestStatus.REOPENED and request.supervisor == supervisor
    assert request.deadline is not None and request.reopened_at is not None
    assert Notification.objects.filter(recipient=supervisor, kind="directline.request").exists()
    with pytest.raises(NotAllowed):  # only a supervisor answers a reopened request
        answer(request.pk, actor=tax_official, text="再答复")
    answer(request.pk, actor=supervisor, text="已安排专人上门指导。")
    rate(request.pk, actor=member, rating="unsatisfied", comment="仍不满意")
    request.refresh_from_db()
    assert request.status == RequestStatus.CLOSED and request.rating == "unsatisfied"


def test_without_a_supervisor_a_reopened_request_goes_to_a_city_wide_official(
    raise_one, member, tax_official
):
    """It must never be left with nobody allowed to answer it."""
    request = _answered(raise_one, tax_official)
    request.refresh_from_db()
    assert request.deadline is None  # answered: its clock no longer runs
    rate(request.pk, actor=member, rating="unsatisfied", comment="没有解决问题")
    request.refresh_from_db()
    assert request.status == RequestStatus.REOPENED and request.supervisor == tax_official
    assert request.deadline is not None
    answer(request.pk, actor=tax_official, text="已安排专人上门指导。")
    request.refresh_from_db()
    assert request.status == RequestStatus.ANSWERED


def test_a_bad_rating_value_is_refused(raise_one, member, tax_official):
    request = _answered(raise_one, tax_official)
    with pytest.raises(RequestRefused):
        rate(request.pk, actor=member, rating="great")


# --- publication ---------------------------------------------------------------------------------


def test_publication_is_anonymised(raise_one, member, tax_official, enterprise):
    request = raise_one(
        description=f"我是{enterprise.name}的李小红，电话13912345678，"
        f"信用代码{enterprise.uscc}，发票开不出来。"
    )
    answer(request.pk, actor=tax_official, text="李小红您好，请致电0571-87654321。")
    entry = publish(request.pk, actor=tax_official)
    text = entry.question + entry.answer
    for secret in (enterprise.name, "李小红", "13912345678", enterprise.uscc, "87654321"):
        assert secret not in text
    assert "发票开不出来" in entry.question
    assert list(search_answers("发票")) == [entry]


def test_the_enterprise_can_refuse_publication(raise_one, member, tax_official):
    request = _answered(raise_one, tax_official)
    refuse_publication(request.pk, actor=member)
    with pytest.raises(Conflict):
        publish(request.pk, actor=tax_official)
    assert not PublishedAnswer.objects.exists()


def test_refusing_after_publication_withdraws_the_entry(raise_one, member, tax_official):
    request = _answered(raise_one, tax_official)
    publish(request.pk, actor=tax_official)
    refuse_publication(request.pk, actor=member)
    assert not PublishedAnswer.objects.exists()


def test_an_unanswered_request_cannot_be_published(raise_one, tax_official):
    request = raise_one()
    with pytest.raises(Conflict):
        publish(request.pk, actor=tax_official)
    assert not PublishedAnswer.objects.exists()


def test_department_stats_count_ratings_and_answer_times(raise_one, member, tax_official):
    from directline.selectors import department_stats

    first = _answered(raise_one, tax_official)
    rate(first.pk, actor=member, rating="satisfied")
    second = _answered(raise_one, tax_official)
    rate(second.pk, actor=member, rating="basically")
    raise_one()
    [row] = department_stats()
    assert (row["department"], row["district"]) == ("taxation", "xihu")
    assert (row["total"], row["answered"], row["rated"]) == (3, 2, 2)
    assert row["satisfaction"] == 1.0
    assert row["mean_answer_hours"] is not None and row["mean_answer_hours"] >= 0
