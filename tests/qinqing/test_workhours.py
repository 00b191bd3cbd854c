"""The working-hours clock (qinqing/workhours). Expected values are worked out by hand from
the published 2026 holiday arrangements (国务院办公厅, 2025): Spring Festival off 15–23
February with make-up Saturdays 14 and 28 February; Mid-Autumn off 25–27 September and
National Day off 1–7 October with make-up days Sunday 20 September and Saturday 10 October.
Office hours are the defaults, 08:30–12:00 and 13:30–17:00 (7 hours a day)."""

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Template
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from directline.models import Category, Request
from qinqing.audit.models import AuditEvent
from qinqing.templatetags.qinqing_format import calendar_gap_warning, working_time_left
from qinqing.workhours import clock
from qinqing.workhours.case_services import open_pause, pause, post_message, read_clock, resume
from qinqing.workhours.clock import (
    JOINT_HANDLING_EXTENSION,
    JOINT_HANDLING_LIMIT,
    LICENSING_EXTENSION,
    LICENSING_LIMIT,
    TimeLimit,
    add_working_time,
    calendar_gaps,
    is_working_day,
    reading,
    working_seconds,
)
from qinqing.workhours.models import CalendarDay
from tests.factories import AdminFactory, EnterpriseFactory, department, member_of

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
H = 3600
DAY = 7 * H


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0):
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


def holiday(day: date, name: str = "元旦") -> CalendarDay:
    return CalendarDay.objects.create(date=day, kind=CalendarDay.Kind.HOLIDAY, name=name)


def workday(day: date, name: str = "调休") -> CalendarDay:
    return CalendarDay.objects.create(date=day, kind=CalendarDay.Kind.WORKDAY, name=name)


# --- Working days ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 2, 13), True),  # Friday before the holiday
        (date(2026, 2, 14), True),  # Saturday, make-up day
        (date(2026, 2, 15), False),  # Sunday, first day of the holiday
        (date(2026, 2, 16), False),  # Monday, holiday
        (date(2026, 2, 20), False),  # Friday, holiday
        (date(2026, 2, 21), False),  # Saturday inside the holiday
        (date(2026, 2, 23), False),  # Monday, last day of the holiday
        (date(2026, 2, 24), True),  # Tuesday, back at work
        (date(2026, 2, 28), True),  # Saturday, make-up day
        (date(2026, 3, 1), False),  # an ordinary Sunday
        (date(2026, 3, 7), False),  # an ordinary Saturday
        (date(2026, 9, 20), True),  # Sunday, make-up day
        (date(2026, 9, 25), False),  # Friday, Mid-Autumn
        (date(2026, 10, 1), False),  # Thursday, National Day
        (date(2026, 10, 7), False),  # Wednesday, last day off
        (date(2026, 10, 8), True),  # Thursday
        (date(2026, 10, 10), True),  # Saturday, make-up day
        (date(2027, 1, 1), True),  # Friday, 2027 not loaded: weekends only
        (date(2027, 1, 2), False),  # Saturday
        (date(2003, 10, 1), True),  # before the package's years: weekends only too
    ],
)
def test_working_days(day, working):
    assert is_working_day(day) is working


def test_agrees_with_chinesecalendar_on_every_day_it_covers():
    day, last = date(2004, 1, 1), date(2026, 12, 31)
    differ = []
    while day <= last:
        if is_working_day(day) != chinese_calendar.is_workday(day):
            differ.append(day)
        day += timedelta(days=1)
    assert differ == []
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))


def test_a_datetime_is_not_a_day():
    with pytest.raises(TypeError):
        is_working_day(at(2026, 3, 3, 9))


# --- Spring Festival 2026 ---------------------------------------------------------------------


def test_span_over_the_spring_festival_counts_the_make_up_saturdays():
    # Working days from Fri 13 Feb 08:30 to Mon 2 Mar 08:30: 13, 14 (Sat), 24, 25, 26, 27,
    # 28 (Sat) February: 7 days; on weekdays alone it would be 11.
    assert working_seconds(at(2026, 2, 13, 8, 30), at(2026, 3, 2, 8, 30)) == 7 * DAY


def test_span_from_a_make_up_saturday_to_after_the_holiday():
    # Sat 14 Feb 10:00–12:00 and 13:30–17:00 (5.5 h), nothing until Tue 24 Feb 08:30–10:00.
    assert working_seconds(at(2026, 2, 14, 10), at(2026, 2, 24, 10)) == 7 * H


def test_deadlines_over_the_spring_festival():
    # Fri 13 Feb 15:00 + 21 h: Fri 2 h, Sat 14 Feb 7 h, Tue 24 Feb 7 h, Wed 25 Feb 5 h
    # (08:30–12:00 and 13:30–15:00).
    assert add_working_time(at(2026, 2, 13, 15), 21 * H) == at(2026, 2, 25, 15)
    # Five working days from Thu 12 Feb 08:30: 12, 13, 14, 24, 25 February.
    assert add_working_time(at(2026, 2, 12, 8, 30), 5 * DAY) == at(2026, 2, 25, 17)
    # One hour left on Friday afternoon is finished on the make-up Saturday.
    assert add_working_time(at(2026, 2, 13, 16), 2 * H) == at(2026, 2, 14, 9, 30)


# --- Mid-Autumn and National Day 2026 ------------------------------------------------------


def test_span_over_national_day_counts_the_make_up_sunday_and_saturday():
    # Fri 18 Sep 08:30 to Mon 12 Oct 08:30: 18, 20 (Sun), 21–24, 28–30 September, 8, 9,
    # 10 (Sat) October: 12 days (weekdays alone: 16).
    assert working_seconds(at(2026, 9, 18, 8, 30), at(2026, 10, 12, 8, 30)) == 12 * DAY


def test_licensing_limit_over_national_day():
    # 20 working days from Wed 16 Sep 08:30: 16, 17, 18, 20 (Sun), 21–24, 28–30 Sep (11),
    # 8, 9, 10 (Sat), 12–16 Oct (19), Mon 19 Oct (20), which ends at 17:00.
    started = at(2026, 9, 16, 8, 30)
    assert add_working_time(started, LICENSING_LIMIT.seconds) == at(2026, 10, 19, 17)
    assert reading(started, LICENSING_LIMIT, now=started).deadline == at(2026, 10, 19, 17)


# --- Into 2027, which chinesecalendar 1.11.0 does not cover ----------------------------------


def test_year_end_without_table_entries_falls_back_to_weekends_and_says_so():
    # Thu 31 Dec 2026 and Fri 1 Jan 2027 are both working days on the weekend rule.
    assert working_seconds(at(2026, 12, 31, 8, 30), at(2027, 1, 4, 8, 30)) == 2 * DAY
    # Five working days from Mon 28 Dec: 28, 29, 30, 31 Dec, Fri 1 Jan.
    assert add_working_time(at(2026, 12, 28, 8, 30), 5 * DAY) == at(2027, 1, 1, 17)
    assert calendar_gaps(date(2026, 12, 31), date(2027, 1, 4)) == [2027]
    assert calendar_gaps(date(2026, 1, 1), date(2026, 12, 31)) == []
    assert calendar_gaps(date(2026, 6, 1), date(2028, 2, 1)) == [2027, 2028]
    limit = TimeLimit(5, "days")
    assert reading(at(2026, 12, 28, 8, 30), limit, now=at(2026, 12, 28, 9)).calendar_gaps == (2027,)


def test_year_end_with_table_entries():
    holiday(date(2027, 1, 1))
    # 1 January off: only Thu 31 Dec counts; five days from Mon 28 Dec end on Mon 4 Jan.
    assert working_seconds(at(2026, 12, 31, 8, 30), at(2027, 1, 4, 8, 30)) == DAY
    assert add_working_time(at(2026, 12, 28, 8, 30), 5 * DAY) == at(2027, 1, 4, 17)
    assert calendar_gaps(date(2026, 12, 31), date(2027, 1, 4)) == []
    limit = TimeLimit(5, "days")
    assert reading(at(2026, 12, 28, 8, 30), limit, now=at(2026, 12, 28, 9)).calendar_gaps == ()

    workday(date(2027, 1, 2))  # a make-up Saturday
    assert working_seconds(at(2026, 12, 31, 8, 30), at(2027, 1, 4, 8, 30)) == 2 * DAY
    assert add_working_time(at(2026, 12, 28, 8, 30), 5 * DAY) == at(2027, 1, 2, 17)


def test_a_year_with_only_make_up_days_in_the_table_is_still_a_gap():
    workday(date(2027, 2, 6))
    assert is_working_day(date(2027, 2, 6)) is True  # Saturday
    assert calendar_gaps(date(2027, 1, 1), date(2027, 12, 31)) == [2027]


def test_a_table_row_corrects_a_year_the_package_covers():
    # Say 2026-03-02 (Monday) were declared a day off, and Sunday 2026-03-08 a working day.
    holiday(date(2026, 3, 2), name="更正")
    workday(date(2026, 3, 8))
    assert is_working_day(date(2026, 3, 2)) is False
    assert is_working_day(date(2026, 3, 8)) is True
    # Mon 2 Mar – Mon 9 Mar 08:30: Tue–Fri and Sun 8 Mar.
    assert working_seconds(at(2026, 3, 2, 8, 30), at(2026, 3, 9, 8, 30)) == 5 * DAY


# --- Outside office hours --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (at(2026, 3, 3, 7), at(2026, 3, 3, 9), 30 * 60),  # before opening (Tuesday)
        (at(2026, 3, 3, 12, 15), at(2026, 3, 3, 13, 45), 15 * 60),  # over lunch
        (at(2026, 3, 3, 12), at(2026, 3, 3, 13, 30), 0),  # the lunch break itself
        (at(2026, 3, 3, 11, 59, 30), at(2026, 3, 3, 13, 30, 15), 45),
        (at(2026, 3, 3, 17, 30), at(2026, 3, 4, 9), 30 * 60),  # evening to morning
        (at(2026, 3, 3, 0), at(2026, 3, 4, 0), DAY),  # midnight to midnight
        (at(2026, 3, 7, 10), at(2026, 3, 8, 16), 0),  # a weekend
        (at(2026, 3, 6, 16), at(2026, 3, 9, 9), H + 30 * 60),  # Friday over the weekend
        (at(2026, 3, 3, 10), at(2026, 3, 3, 9), 0),  # end before start
    ],
)
def test_working_seconds_outside_office_hours(start, end, expected):
    assert working_seconds(start, end) == expected


@pytest.mark.parametrize(
    ("start", "seconds", "expected"),
    [
        (at(2026, 3, 3, 7), H, at(2026, 3, 3, 9, 30)),  # before opening
        (at(2026, 3, 3, 12, 30), H, at(2026, 3, 3, 14, 30)),  # lunch
        (at(2026, 3, 3, 18), H, at(2026, 3, 4, 9, 30)),  # evening
        (at(2026, 3, 7, 10), H, at(2026, 3, 9, 9, 30)),  # Saturday
        (at(2026, 3, 6, 16, 30), H, at(2026, 3, 9, 9)),  # Friday afternoon
        (at(2026, 3, 3, 8, 30), 3 * H + 30 * 60, at(2026, 3, 3, 12)),  # the earliest instant
        (at(2026, 3, 3, 8, 30), DAY, at(2026, 3, 3, 17)),
        (at(2026, 3, 3, 12), 1, at(2026, 3, 3, 13, 30, 1)),
        (at(2026, 3, 3, 10), 0, at(2026, 3, 3, 10)),
    ],
)
def test_add_working_time_outside_office_hours(start, seconds, expected):
    assert add_working_time(start, seconds) == expected


# --- Pauses ----------------------------------------------------------------------------------

MONDAY = at(2026, 3, 2, 8, 30)
FRIDAY_EVENING = at(2026, 3, 6, 17)  # the week Mon 2 – Fri 6 March: 35 office hours


@pytest.mark.parametrize(
    ("pauses", "expected"),
    [
        ([], 35 * H),
        # Tue 10:00 – Wed 10:00: 2 + 3.5 + 1.5 = 7 h.
        ([(at(2026, 3, 3, 10), at(2026, 3, 4, 10))], 28 * H),
        # Overlapping and nested pauses count once: Tue 10:00 – Wed 11:00 is 8 h.
        (
            [
                (at(2026, 3, 4, 9), at(2026, 3, 4, 11)),
                (at(2026, 3, 3, 10), at(2026, 3, 4, 10)),
                (at(2026, 3, 3, 11), at(2026, 3, 3, 11, 30)),
            ],
            27 * H,
        ),
        # Still paused since Thu 08:30: Thursday and Friday do not count.
        ([(at(2026, 3, 5, 8, 30), None)], 21 * H),
        ([(at(2026, 3, 3, 10), at(2026, 3, 4, 10)), (at(2026, 3, 5, 8, 30), None)], 14 * H),
        # A pause begun before the start counts only from the start: Mon 08:30–10:00.
        ([(at(2026, 3, 1, 10), at(2026, 3, 2, 10))], 33 * H + 30 * 60),
        # A pause wholly outside the span changes nothing.
        ([(at(2026, 3, 9, 9), at(2026, 3, 9, 10))], 35 * H),
    ],
)
def test_working_seconds_with_pauses(pauses, expected):
    assert working_seconds(MONDAY, FRIDAY_EVENING, pauses) == expected


TWO_DAYS = TimeLimit(2, "days")  # 14 office hours
SUPPLEMENT = (at(2026, 3, 2, 10), at(2026, 3, 3, 10))  # Mon 10:00 – Tue 10:00: 7 office hours


def test_a_closed_pause_moves_the_deadline_by_its_office_time():
    assert reading(MONDAY, TWO_DAYS, now=MONDAY).deadline == at(2026, 3, 3, 17)
    # 1.5 h on Monday, 5.5 h on Tuesday after the pause, the last 7 h on Wednesday.
    assert reading(MONDAY, TWO_DAYS, [SUPPLEMENT], now=MONDAY).deadline == at(2026, 3, 4, 17)


def test_reading_during_and_after_the_limit():
    noon = reading(MONDAY, TWO_DAYS, [SUPPLEMENT], now=at(2026, 3, 4, 12))
    assert noon.elapsed_seconds == 10 * H + 30 * 60  # 1.5 + 5.5 + 3.5
    assert noon.remaining_seconds == 3 * H + 30 * 60
    assert noon.fraction_used == 0.75
    assert (noon.warn, noon.overdue, noon.paused) == (False, False, False)
    assert noon.calendar_gaps == ()

    # 80 % of 14 h is 11 h 12 min: reached at Wed 14:12.
    assert reading(MONDAY, TWO_DAYS, [SUPPLEMENT], now=at(2026, 3, 4, 14, 11)).warn is False
    warned = reading(MONDAY, TWO_DAYS, [SUPPLEMENT], now=at(2026, 3, 4, 14, 12))
    assert (warned.warn, warned.fraction_used) == (True, 0.8)
    assert clock.WARN_FRACTION == 0.8

    due = reading(MONDAY, TWO_DAYS, [SUPPLEMENT], now=at(2026, 3, 4, 17))
    assert (due.remaining_seconds, due.overdue) == (0, True)
    night = reading(MONDAY, TWO_DAYS, [SUPPLEMENT], now=at(2026, 3, 5, 8))
    assert (night.remaining_seconds, night.overdue) == (0, True)
    late = reading(MONDAY, TWO_DAYS, [SUPPLEMENT], now=at(2026, 3, 5, 9))
    assert (late.remaining_seconds, late.overdue, late.fraction_used) == (-30 * 60, True, 29 / 28)
    assert late.deadline == at(2026, 3, 4, 17)


def test_an_open_pause_leaves_the_deadline_unknown():
    pauses = [SUPPLEMENT, (at(2026, 3, 4, 9), None)]
    paused = reading(MONDAY, TWO_DAYS, pauses, now=at(2026, 3, 5, 12))
    assert paused.deadline is None
    assert paused.paused is True
    assert paused.elapsed_seconds == 7 * H + 30 * 60  # 1.5 + 5.5 + Wed 08:30–09:00
    assert paused.remaining_seconds == 6 * H + 30 * 60
    assert paused.overdue is False
    # Closed at Fri 10:00: 6.5 h left, so Fri 10:00–12:00, 13:30–17:00 and Mon 08:30–09:30.
    resumed = [SUPPLEMENT, (at(2026, 3, 4, 9), at(2026, 3, 6, 10))]
    assert reading(MONDAY, TWO_DAYS, resumed, now=at(2026, 3, 6, 10)).deadline == at(
        2026, 3, 9, 9, 30
    )


def test_a_pause_begun_after_the_deadline_does_not_move_it():
    pauses = [(at(2026, 3, 5, 10), None)]  # Thursday, the limit ran out on Tuesday 17:00
    late = reading(MONDAY, TWO_DAYS, pauses, now=at(2026, 3, 5, 12))
    assert late.deadline == at(2026, 3, 3, 17)
    assert late.paused is True
    assert late.overdue is True
    assert late.remaining_seconds == -(8 * H + 30 * 60)  # 3 days and Thu 08:30–10:00 used


def test_time_limits():
    assert TimeLimit(3, "hours").seconds == 3 * H
    assert TimeLimit(1, "days").seconds == DAY
    assert LICENSING_LIMIT.seconds == 20 * DAY
    assert (LICENSING_EXTENSION.amount, LICENSING_EXTENSION.unit) == (10, "days")
    assert (JOINT_HANDLING_LIMIT.amount, JOINT_HANDLING_EXTENSION.amount) == (45, 15)
    for amount, unit in [(0, "days"), (-1, "hours"), (1.5, "hours"), (True, "days"), (1, "weeks")]:
        with pytest.raises(ValueError):
            TimeLimit(amount, unit)


# --- add_working_time is the inverse of working_seconds ---------------------------------


def test_add_working_time_is_the_inverse_of_working_seconds():
    holiday(date(2027, 1, 1))
    workday(date(2027, 1, 9))
    generator = random.Random(20260927)
    first = at(2025, 12, 1)
    for _ in range(600):
        start = first + timedelta(
            minutes=generator.randrange(0, 800 * 24 * 60), seconds=generator.randrange(0, 60)
        )
        seconds = generator.choice(
            [1, 59, 3600, DAY - 1, DAY, DAY + 1, generator.randrange(1, 45 * DAY)]
        )
        end = add_working_time(start, seconds)
        assert working_seconds(start, end) == seconds, (start, seconds, end)
        # The earliest such instant: one second less of office time a second before.
        assert working_seconds(start, end - timedelta(seconds=1)) == seconds - 1, (start, end)


def test_working_seconds_agrees_with_a_day_by_day_count_over_2026():
    """An independent count: each day of the span asked of chinesecalendar, each office
    period clipped to the span."""
    periods = [((8, 30), (12, 0)), ((13, 30), (17, 0))]

    def by_hand(start, end):
        total, day = 0, start.date()
        while day <= end.date():
            if chinese_calendar.is_workday(day):
                for (oh, om), (ch, cm) in periods:
                    opens = at(day.year, day.month, day.day, oh, om)
                    closes = at(day.year, day.month, day.day, ch, cm)
                    total += max(0, (min(end, closes) - max(start, opens)).total_seconds())
            day += timedelta(days=1)
        return int(total)

    generator = random.Random(6)
    for _ in range(300):
        start = at(2026, 1, 1) + timedelta(minutes=generator.randrange(0, 300 * 24 * 60))
        end = start + timedelta(minutes=generator.randrange(0, 60 * 24 * 60))
        assert working_seconds(start, end) == by_hand(start, end), (start, end)


def test_microseconds_are_counted_and_rounded_down():
    start = at(2026, 3, 3, 9) + timedelta(microseconds=700_000)
    assert working_seconds(start, at(2026, 3, 3, 9, 0, 2)) == 1
    assert add_working_time(start, 2) == at(2026, 3, 3, 9, 0, 2) + timedelta(microseconds=700_000)


# --- The table, the cache and time zones ---------------------------------------------------


def test_a_saved_calendar_day_is_seen_at_once(django_assert_num_queries):
    friday = (at(2027, 1, 1, 8, 30), at(2027, 1, 1, 17))
    assert working_seconds(*friday) == DAY
    with django_assert_num_queries(0):  # the table is read once, not per computation
        assert working_seconds(*friday) == DAY
    row = holiday(date(2027, 1, 1))
    assert working_seconds(*friday) == 0
    row.kind = CalendarDay.Kind.WORKDAY
    row.save()
    assert working_seconds(*friday) == DAY
    assert is_working_day(date(2027, 1, 3)) is False
    workday(date(2027, 1, 3))
    assert is_working_day(date(2027, 1, 3)) is True
    row.delete()
    assert calendar_gaps(date(2027, 1, 1), date(2027, 1, 1)) == [2027]


def test_other_processes_edits_are_read_within_the_refresh_bound(monkeypatch):
    friday = (at(2027, 1, 1, 8, 30), at(2027, 1, 1, 17))
    assert working_seconds(*friday) == DAY
    # bulk_create sends no signal, like an edit made by another process.
    CalendarDay.objects.bulk_create([CalendarDay(date=date(2027, 1, 1), kind="holiday")])
    assert working_seconds(*friday) == DAY
    monkeypatch.setattr(clock, "TABLE_REFRESH_SECONDS", 0.0)
    assert working_seconds(*friday) == 0


def test_admin_edits_the_calendar_audited_and_seen_by_the_clock(client):
    client.force_login(AdminFactory())
    response = client.post(
        reverse("admin:workhours_calendarday_add"),
        {"date": "2027-01-01", "kind": "holiday", "name": "元旦", "note": "国办发明电"},
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="admin.add", object_type="workhours.calendarday")
    assert is_working_day(date(2027, 1, 1)) is False
    workday(date(2026, 2, 14))
    listing = client.get(reverse("admin:workhours_calendarday_changelist"), {"year": "2027"})
    assert listing.status_code == 200
    assert [row.date for row in listing.context["cl"].result_list] == [date(2027, 1, 1)]
    filtered = client.get(reverse("admin:workhours_calendarday_changelist"), {"kind": "workday"})
    assert [row.date for row in filtered.context["cl"].result_list] == [date(2026, 2, 14)]


def test_utc_inputs_give_the_shanghai_answer():
    # 00:30–09:00 UTC is 08:30–17:00 in Shanghai.
    tuesday = datetime(2026, 3, 3, 0, 30, tzinfo=UTC), datetime(2026, 3, 3, 9, tzinfo=UTC)
    assert working_seconds(*tuesday) == DAY
    # 08:30 UTC is 16:30 in Shanghai: half an hour on Tuesday, half on Wednesday morning.
    assert add_working_time(datetime(2026, 3, 3, 8, 30, tzinfo=UTC), H) == at(2026, 3, 4, 9)
    # Fri 13 Feb 23:00 UTC is already Saturday 14 Feb 07:00 in Shanghai, a make-up day:
    # 08:30–10:00 there.
    saturday = datetime(2026, 2, 13, 23, tzinfo=UTC), datetime(2026, 2, 14, 2, tzinfo=UTC)
    assert working_seconds(*saturday) == H + 30 * 60
    with pytest.raises(ValueError):
        working_seconds(datetime(2026, 3, 3, 9), at(2026, 3, 3, 10))  # naive


@override_settings(WORK_OFFICE_PERIODS=["09:00-17:00"])
def test_office_periods_come_from_the_settings():
    assert TimeLimit(1, "days").seconds == 8 * H
    assert working_seconds(at(2026, 3, 3, 8), at(2026, 3, 3, 12, 30)) == 3 * H + 30 * 60


@pytest.mark.parametrize(
    "periods", [["08:30"], ["12:00-08:30"], ["08:30-12:00", "11:00-17:00"], ["8:75-12:00"], []]
)
def test_bad_office_periods_are_refused(periods):
    with override_settings(WORK_OFFICE_PERIODS=periods), pytest.raises(ImproperlyConfigured):
        TimeLimit(1, "days").seconds  # noqa: B018


# --- Formatting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "chinese", "english"),
    [
        (3 * H + 20 * 60, "还剩 3 小时 20 分（工作时间）", "3 h 20 min of working time left"),
        (2 * H, "还剩 2 小时（工作时间）", "2 h of working time left"),
        (59, "还剩 1 分（工作时间）", "1 min of working time left"),
        (140 * H, "还剩 140 小时（工作时间）", "140 h of working time left"),
        (0, "工作时间已用完", "working time used up"),
        (-(H + 5 * 60), "已超时 1 小时 5 分（工作时间）", "overdue by 1 h 5 min of working time"),
        (None, "—", "—"),
    ],
)
def test_remaining_working_time_in_the_users_language(seconds, chinese, english):
    with translation.override("zh-hans"):
        assert working_time_left(seconds) == chinese
    with translation.override("en"):
        assert working_time_left(seconds) == english


def test_template_filters_take_a_reading():
    state = reading(at(2026, 12, 28, 8, 30), TimeLimit(5, "days"), now=at(2026, 12, 31, 13, 30))
    template = Template(
        "{% load qinqing_format %}{{ r|working_time_left }} {{ r|calendar_gap_warning }}"
    )
    with translation.override("en"):
        assert template.render(Context({"r": state})) == (
            "10 h 30 min of working time left The holiday calendar for 2027 has not been "
            "loaded; only weekends count as days off."
        )
    with translation.override("zh-hans"):
        assert calendar_gap_warning(state) == "2027 年的节假日安排尚未载入，仅按周末计算休息日。"
        assert calendar_gap_warning([2027, 2028]) == (
            "2027 和 2028 年的节假日安排尚未载入，仅按周末计算休息日。"
        )
    assert calendar_gap_warning(()) == ""


# --- the clocked case (qinqing.workhours.cases and case_services) ------------------------


def _clocked_request(started_at: datetime, hours: int = 7):
    """A direct line request as a clocked case: the services are the same for an item."""
    enterprise = EnterpriseFactory()
    category = Category.objects.create(code="clock-test", name_zh="测试", limit_hours=hours)
    return Request.objects.create(
        reference="ZTC-CLOCK-1",
        enterprise=enterprise,
        raised_by=member_of(enterprise),
        category=category,
        subject="s",
        description="d",
        district=enterprise.district,
        department=department("taxation"),
        started_at=started_at,
        limit_hours=hours,
    )


def test_a_closed_pause_moves_a_cases_deadline_by_the_office_time_paused():
    start = datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)  # a Tuesday in office hours
    case = _clocked_request(start)
    unpaused = read_clock(case, now=start + timedelta(hours=2, minutes=30))
    assert unpaused.deadline == add_working_time(start, 7 * H)
    case.pauses.create(started_at=start + timedelta(hours=1), ended_at=start + timedelta(hours=2))
    paused = read_clock(case, now=start + timedelta(hours=2, minutes=30))
    assert paused.deadline == add_working_time(start, 8 * H)
    assert paused.elapsed_seconds == unpaused.elapsed_seconds - H


def test_pausing_a_case_leaves_its_deadline_unknown_until_it_resumes():
    case = _clocked_request(timezone.now() - timedelta(minutes=5))
    case.deadline = read_clock(case).deadline
    case.save(update_fields=["deadline"])
    pause(case)
    case.refresh_from_db()
    assert case.deadline is None and read_clock(case).paused and open_pause(case) is not None
    post_message(case, author=case.raised_by, kind="info_answer", body="12345")
    resume(case)
    case.refresh_from_db()
    assert open_pause(case) is None and case.deadline is not None
    assert [(m.kind, m.body) for m in case.messages.all()] == [("info_answer", "12345")]
