"""Deadlines computed once with the working-hours clock (issue #21, "Deadlines on days the
calendar does not know"): an approval on commitment's verification date, the commitment's
own, an inspection draw's result limit. Counted while next year's holidays were missing,
each open one moves off the holiday once the year is loaded; a closed one keeps its date;
the commitment and direct-line pages warn of a deadline in a year not loaded."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals.models import Item, ItemStatus
from credit.commitments.models import Commitment, CommitmentNotice, CommitmentStatus
from credit.inspections.models import (
    InspectionCampaign,
    InspectionDraw,
    InspectionSelection,
    ResultStatus,
)
from credit.inspections.services import PUBLICATION_LIMIT
from directline.models import Category, Request
from qinqing.workhours import clock
from qinqing.workhours.clock import PACKAGE_LAST_YEAR, TimeLimit, add_working_time
from qinqing.workhours.models import CalendarDay
from tests.approvals.conftest import (
    applicant,  # noqa: F401 - fixture
    project_package,  # noqa: F401 - fixture
    submitted_project,
)
from tests.factories import EnterpriseFactory, OfficialFactory, department, member_of

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
UNKNOWN = PACKAGE_LAST_YEAR + 1  # the first year chinesecalendar does not cover
NEW_YEAR = [date(UNKNOWN, 1, day) for day in (1, 2, 3)]  # loaded as holidays below
VERIFY_DAYS = 5


def start_due_on_a_holiday(seconds: int) -> datetime:
    """An 08:30 start in December whose limit, counted on the weekend rule, runs out on one
    of the New Year holidays about to be loaded."""
    day = date(PACKAGE_LAST_YEAR, 12, 31)
    while True:
        start = datetime(day.year, day.month, day.day, 8, 30, tzinfo=SHANGHAI)
        if timezone.localtime(add_working_time(start, seconds)).date() in NEW_YEAR:
            return start
        day -= timedelta(days=1)
        assert day.month == 12 or seconds > 30 * 7 * 3600, "no start found"


def load_new_year(capture) -> None:
    """The back office's way: holiday rows written, open deadlines recomputed on commit."""
    with capture(execute=True):
        for day in NEW_YEAR:
            CalendarDay.objects.create(date=day, kind=CalendarDay.Kind.HOLIDAY, name="元旦")


def moved_off_the_holiday(before: datetime, after: datetime, start: datetime, seconds: int):
    assert after > before
    assert after == add_working_time(start, seconds)
    assert timezone.localtime(after).date() not in NEW_YEAR


def committed_item(applicant, package, status: str, start: datetime) -> tuple[Item, Commitment]:  # noqa: F811
    """An item approved on commitment at `start` (verification due in VERIFY_DAYS working
    days, counted without next year's holidays), with its commitment."""
    open_one = status == ItemStatus.COMMITTED
    application = submitted_project(applicant, package)
    item = application.items.get(item_type__code="project-filing")
    type(item.item_type).objects.filter(pk=item.item_type_id).update(verify_within_days=VERIFY_DAYS)
    verify_by = add_working_time(start, TimeLimit(VERIFY_DAYS, "days").seconds)
    commitment = Commitment.objects.create(
        enterprise=application.enterprise, notice=CommitmentNotice.objects.first(),
        text_sha256="0" * 64, accepted_by=applicant[0], accepted_at=start,
        subject_kind="approval_item", subject_ref=f"approvals.item:{item.pk}",
        verify_what="核查", verify_by=verify_by, department=item.department,
        status=CommitmentStatus.MADE if open_one else CommitmentStatus.FULFILLED,
    )  # fmt: skip
    Item.objects.filter(pk=item.pk).update(
        status=status, decided_at=start, verify_by=verify_by, commitment_id=commitment.pk
    )
    item.refresh_from_db()
    return item, commitment


def test_an_open_approval_on_commitment_and_its_commitment_move_and_closed_ones_do_not(
    applicant,  # noqa: F811
    project_package,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    seconds = TimeLimit(VERIFY_DAYS, "days").seconds
    start = start_due_on_a_holiday(seconds)
    item, commitment = committed_item(applicant, project_package, ItemStatus.COMMITTED, start)
    verified, fulfilled = committed_item(applicant, project_package, ItemStatus.VERIFIED, start)
    before = item.verify_by
    load_new_year(django_capture_on_commit_callbacks)
    for row in (item, commitment, verified, fulfilled):
        row.refresh_from_db()
    moved_off_the_holiday(before, item.verify_by, start, seconds)
    moved_off_the_holiday(before, commitment.verify_by, start, seconds)
    assert item.status == ItemStatus.COMMITTED and commitment.status == CommitmentStatus.MADE
    assert verified.verify_by == before and fulfilled.verify_by == before


def drawn(start: datetime, result: str) -> InspectionDraw:
    campaign = InspectionCampaign.objects.create(
        title="双随机", department=department("market"), status="drawn",
        snapshot_sha256="0" * 64, published_at=start,
    )  # fmt: skip
    draw = InspectionDraw.objects.create(
        campaign=campaign, public_value="v", seed="0" * 64, algorithm="test", drawn_at=start,
        results_due=add_working_time(start, PUBLICATION_LIMIT.seconds),
    )  # fmt: skip
    InspectionSelection.objects.create(draw=draw, enterprise=EnterpriseFactory(), grade="B",
                                       rank=1, result=result)  # fmt: skip
    return draw


def test_an_open_draws_result_limit_moves_and_a_closed_ones_does_not(
    django_capture_on_commit_callbacks,
):
    start = start_due_on_a_holiday(PUBLICATION_LIMIT.seconds)
    waiting, done = drawn(start, ResultStatus.PENDING), drawn(start, ResultStatus.CLEAN)
    before = waiting.results_due
    load_new_year(django_capture_on_commit_callbacks)
    waiting.refresh_from_db()
    done.refresh_from_db()
    moved_off_the_holiday(before, waiting.results_due, start, PUBLICATION_LIMIT.seconds)
    assert done.results_due == before


def warning_in(html: str, label: str) -> str:
    return html.split(f"{label}</dt>", 1)[1].split("</dd>", 1)[0]


def test_the_commitment_page_warns_of_a_deadline_in_a_year_not_loaded(client):
    enterprise = EnterpriseFactory()
    new_years_day = datetime(UNKNOWN, 1, 1, 17, tzinfo=SHANGHAI)
    commitment = Commitment.objects.create(
        enterprise=enterprise, notice=CommitmentNotice.objects.first(), text_sha256="0" * 64,
        accepted_by=member_of(enterprise), accepted_at=timezone.now(),
        subject_kind="standalone", verify_what="核查", verify_by=new_years_day,
        department=department("market"), status=CommitmentStatus.MADE,
    )  # fmt: skip
    client.force_login(OfficialFactory(department=department("market"), district=None))
    url = reverse("credit:commitment", args=[commitment.pk])
    verify = warning_in(client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode(), "Verify by")
    assert f"{UNKNOWN}-01-01 17:00" in verify
    assert "calendar-gap" in verify and f"holiday calendar for {UNKNOWN}" in verify
    CalendarDay.objects.create(date=NEW_YEAR[0], kind=CalendarDay.Kind.HOLIDAY, name="元旦")
    clock.clear_cache()
    verify = warning_in(client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode(), "Verify by")
    assert "calendar-gap" not in verify


def test_the_direct_line_request_page_warns_of_a_deadline_in_a_year_not_loaded(client):
    start = start_due_on_a_holiday(35 * 3600)
    enterprise = EnterpriseFactory()
    member = member_of(enterprise)
    category = Category.objects.create(code="gap-page", name_zh="测试", limit_hours=35)
    request = Request.objects.create(
        reference="ZTC-GAP-2", enterprise=enterprise, raised_by=member, category=category,
        subject="s", description="d", district=enterprise.district,
        department=department("taxation"), started_at=start, limit_hours=35,
        deadline=add_working_time(start, 35 * 3600),
    )  # fmt: skip
    official = OfficialFactory(department=department("taxation"), district=None)
    for user, name in ((member, "directline:detail"), (official, "directline:handle")):
        client.force_login(user)
        html = client.get(reverse(name, args=[request.pk]), HTTP_ACCEPT_LANGUAGE="en")
        deadline = warning_in(html.content.decode(), "Deadline")
        assert "calendar-gap" in deadline and f"holiday calendar for {UNKNOWN}" in deadline
    queue = client.get(reverse("directline:queue"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"holiday calendar for {UNKNOWN}" in queue
