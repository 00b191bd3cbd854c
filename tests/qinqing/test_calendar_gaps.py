"""Deadlines on days the calendar does not know: a deadline that runs into a year whose
holidays are not loaded says so on the page; /healthz and the back office warn from
1 November that next year's calendar is missing; loading a year's calendar computes the
open deadlines again."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from approvals.models import Item
from directline.models import Category, Request
from qinqing.workhours import clock
from qinqing.workhours.clock import PACKAGE_LAST_YEAR, add_working_time, missing_calendar_years
from qinqing.workhours.models import CalendarDay
from tests.approvals.conftest import (
    applicant,  # noqa: F401 - fixture
    officials_for,
    project_package,  # noqa: F401 - fixture
    submitted_project,
)
from tests.factories import AdminFactory, EnterpriseFactory, department, member_of

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
UNKNOWN = PACKAGE_LAST_YEAR + 1  # the first year chinesecalendar does not cover


def holiday(day: date) -> CalendarDay:
    return CalendarDay.objects.create(date=day, kind=CalendarDay.Kind.HOLIDAY, name="元旦")


def test_a_deadline_in_a_year_without_a_calendar_says_so_on_the_item_page(
    client,
    applicant,  # noqa: F811
    project_package,  # noqa: F811
):
    application = submitted_project(applicant, project_package)
    filing = application.items.get(item_type__code="project-filing")
    new_years_day = datetime(UNKNOWN, 1, 1, 17, tzinfo=SHANGHAI)
    Item.objects.filter(pk=filing.pk).update(verify_by=new_years_day)
    client.force_login(officials_for("ndrc"))
    html = client.get(reverse("approvals:item", args=[filing.pk]), HTTP_ACCEPT_LANGUAGE="en")
    html = html.content.decode()
    verify = html.split("Verify commitment by", 1)[1].split("</dd>", 1)[0]
    assert f"{UNKNOWN}-01-01 17:00" in verify
    assert "calendar-gap" in verify and f"holiday calendar for {UNKNOWN}" in verify
    holiday(date(UNKNOWN, 1, 1))
    clock.clear_cache()
    html = client.get(reverse("approvals:item", args=[filing.pk]), HTTP_ACCEPT_LANGUAGE="en")
    verify = html.content.decode().split("Verify commitment by", 1)[1].split("</dd>", 1)[0]
    assert "calendar-gap" not in verify


def test_next_years_calendar_is_missed_from_the_first_of_november():
    assert missing_calendar_years(date(PACKAGE_LAST_YEAR, 10, 31)) == []
    assert missing_calendar_years(date(PACKAGE_LAST_YEAR, 11, 1)) == [UNKNOWN]
    assert missing_calendar_years(date(UNKNOWN, 3, 1)) == [UNKNOWN]
    holiday(date(UNKNOWN, 1, 1))
    assert missing_calendar_years(date(PACKAGE_LAST_YEAR, 11, 1)) == []


def test_healthz_and_the_back_office_warn(client, monkeypatch):
    november = datetime(PACKAGE_LAST_YEAR, 11, 2, 10, tzinfo=SHANGHAI)
    monkeypatch.setattr(clock.timezone, "now", lambda: november)
    body = client.get("/healthz").json()
    assert body["checks"]["calendar"]["missing_years"] == [UNKNOWN]
    assert str(UNKNOWN) in body["warnings"][0]
    client.force_login(AdminFactory())
    page = client.get(reverse("admin:workhours_calendarday_changelist"), HTTP_ACCEPT_LANGUAGE="en")
    assert any(str(UNKNOWN) in str(message) for message in get_messages(page.wsgi_request))
    holiday(date(UNKNOWN, 1, 1))
    clock.clear_cache()
    body = client.get("/healthz").json()
    assert "warnings" not in body and "missing_years" not in body["checks"]["calendar"]


def test_loading_a_years_calendar_moves_the_open_deadlines(django_capture_on_commit_callbacks):
    # Five working days from Monday 28 December: on the weekend rule the fifth is 1 January
    # of the unknown year; once 1 January is a holiday, the deadline moves on.
    start = datetime(PACKAGE_LAST_YEAR, 12, 28, 8, 30, tzinfo=SHANGHAI)
    if start.weekday() != 0:
        start -= timedelta(days=start.weekday())  # the last Monday of the year, or before
    enterprise = EnterpriseFactory()
    category = Category.objects.create(code="gap-test", name_zh="测试", limit_hours=35)
    running = Request.objects.create(
        reference="ZTC-GAP-1", enterprise=enterprise, raised_by=member_of(enterprise),
        category=category, subject="s", description="d", district=enterprise.district,
        department=department("taxation"), started_at=start, limit_hours=35,
        deadline=add_working_time(start, 35 * 3600),
    )  # fmt: skip
    before = running.deadline
    with django_capture_on_commit_callbacks(execute=True):
        for day in range(1, 4):
            holiday(date(UNKNOWN, 1, day))
    running.refresh_from_db()
    assert running.deadline > before
    assert running.deadline == add_working_time(start, 35 * 3600)
    assert timezone.localtime(running.deadline).date() != date(UNKNOWN, 1, 1)
