"""The working-hours clock: how much office time lies between two instants, and when a
time limit counted in office time runs out.

Office time is the office periods (settings.WORK_OFFICE_PERIODS, by default 08:30–12:00 and
13:30–17:00: 7 hours) of every working day, on the wall clock of settings.WORK_TIME_ZONE
(Asia/Shanghai; it has no daylight saving). Whether a day is a working day:

1. a `CalendarDay` row for that date wins (holiday: off; workday: working);
2. else, for the years chinesecalendar covers (2004–2026 in 1.11.0), its statutory holidays
   and make-up working days;
3. else Monday to Friday. `calendar_gaps()` names the years where that fallback is all
   there is, so pages can warn that the year's holiday calendar has not been loaded.

Every function takes aware datetimes (any zone; naive ones are refused) and works in whole
microseconds; results in seconds are rounded down. Whole days are counted arithmetically
(weekdays by division, holidays and make-up days by bisection in per-year sorted lists): a
year-long span costs microseconds, as a day-long one does.

The table is read once per process and again at most every TABLE_REFRESH_SECONDS; saving or
deleting a `CalendarDay` (admin, ORM `save()`/`delete()`) clears this process's copy at once
and again when the transaction commits. A queryset `update()` or a rolled-back edit is seen
by the next re-read.
"""

from __future__ import annotations

import time
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from .models import CalendarDay

# reading().warn is set from this share of the limit used on.
WARN_FRACTION = 0.8
# A process re-reads the CalendarDay table at most this often (another process's edits
# reach it within this bound; its own at once).
TABLE_REFRESH_SECONDS = 60.0

_US = 1_000_000  # microseconds in a second
_ONE_DAY = timedelta(days=1)

Pause = tuple[datetime, datetime | None]  # (start, end); end None: still paused


# --- Time limits ------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeLimit:
    """A time limit in working hours or working days; one working day is one full office day
    (7 hours with the default periods)."""

    amount: int
    unit: Literal["hours", "days"]

    def __post_init__(self) -> None:
        if self.unit not in ("hours", "days"):
            raise ValueError(f"unit must be 'hours' or 'days', not {self.unit!r}")
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount < 1:
            raise ValueError(f"amount must be a positive whole number, not {self.amount!r}")

    @property
    def seconds(self) -> int:
        """Office seconds the limit allows."""
        if self.unit == "hours":
            return self.amount * 3600
        return self.amount * (_office().day_us // _US)


# The legal ceilings (Administrative Licensing Law 行政许可法, art. 42; art. 82: such periods
# are counted in working days, statutory holidays excluded). Apps promise far less.
LICENSING_LIMIT = TimeLimit(20, "days")  # a decision within 20 working days
LICENSING_EXTENSION = TimeLimit(10, "days")  # extendable once by 10, approved by the head
JOINT_HANDLING_LIMIT = TimeLimit(45, "days")  # unified, joint or centralised handling
JOINT_HANDLING_EXTENSION = TimeLimit(15, "days")  # extendable by 15, by the government's head


# --- Office periods -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Office:
    zone: ZoneInfo
    periods: tuple[tuple[int, int], ...]  # (opens, closes) in µs after midnight, in order
    day_us: int


_office_config: _Office | None = None


def _office() -> _Office:
    global _office_config
    if _office_config is None:
        _office_config = _read_office_settings()
    return _office_config


def _parse_clock_time(text: str) -> int:
    hours, _sep, minutes = text.strip().partition(":")
    if not (hours.isascii() and hours.isdigit() and minutes.isascii() and minutes.isdigit()):
        raise ValueError(text)
    value = int(hours) * 3600 + int(minutes) * 60
    if int(minutes) >= 60 or value > 24 * 3600:
        raise ValueError(text)
    return value * _US


def _read_office_settings() -> _Office:
    periods: list[tuple[int, int]] = []
    for text in settings.WORK_OFFICE_PERIODS:
        try:
            opens, closes = (_parse_clock_time(part) for part in text.split("-"))
        except ValueError:
            raise ImproperlyConfigured(
                f"WORK_OFFICE_PERIODS: {text!r} is not HH:MM-HH:MM"
            ) from None
        if opens >= closes or (periods and opens < periods[-1][1]):
            raise ImproperlyConfigured(
                f"WORK_OFFICE_PERIODS: {text!r} must be non-empty, in order, not overlapping"
            )
        periods.append((opens, closes))
    if not periods:
        raise ImproperlyConfigured("WORK_OFFICE_PERIODS names no office period")
    return _Office(
        zone=ZoneInfo(settings.WORK_TIME_ZONE),
        periods=tuple(periods),
        day_us=sum(closes - opens for opens, closes in periods),
    )


def _office_before(office: _Office, tod: int) -> int:
    """Office µs of a working day before the time of day `tod` (µs after midnight)."""
    total = 0
    for opens, closes in office.periods:
        if tod <= opens:
            break
        total += min(tod, closes) - opens
    return total


def _time_of_office(office: _Office, used: int) -> int:
    """The earliest time of day by which `used` office µs (0 < used <= day) have passed."""
    for opens, closes in office.periods:
        if used <= closes - opens:
            return opens + used
        used -= closes - opens
    raise AssertionError("more than a day's office time")


# --- The calendar ---------------------------------------------------------------------------


def _package_years() -> tuple[int, int, dict[int, dict[date, bool]]]:
    """chinesecalendar's coverage and, per year, its days that differ from the weekend rule."""
    by_year: dict[int, dict[date, bool]] = {}
    for day in chinese_calendar.holidays:
        if day.weekday() < 5:
            by_year.setdefault(day.year, {})[day] = False
    for day in chinese_calendar.workdays:
        if day.weekday() >= 5:
            by_year.setdefault(day.year, {})[day] = True
    years = [day.year for day in chinese_calendar.holidays]
    return min(years), max(years), by_year


PACKAGE_FIRST_YEAR, PACKAGE_LAST_YEAR, _PACKAGE_DAYS = _package_years()


class _Year:
    """One year's exceptions to the weekend rule, with prefix sums for range counts."""

    __slots__ = ("exceptions", "ordinals", "prefix")

    def __init__(self, exceptions: dict[date, bool]) -> None:
        self.exceptions = exceptions  # date -> is a working day (only where not Mon–Fri rule)
        self.ordinals = sorted(day.toordinal() for day in exceptions)
        self.prefix = [0]
        for ordinal in self.ordinals:
            working = exceptions[date.fromordinal(ordinal)]
            self.prefix.append(self.prefix[-1] + (1 if working else -1))


class _Calendar:
    __slots__ = ("loaded_years", "read_at", "table", "years")

    def __init__(self, table: dict[date, bool], loaded_years: frozenset[int]) -> None:
        self.table = table
        self.loaded_years = loaded_years
        self.read_at = time.monotonic()
        self.years: dict[int, _Year] = {}

    def year(self, year: int) -> _Year:
        found = self.years.get(year)
        if found is None:
            merged = dict(_PACKAGE_DAYS.get(year, {}))
            merged.update((day, working) for day, working in self.table.items() if day.year == year)
            exceptions = {day: w for day, w in merged.items() if w != (day.weekday() < 5)}
            found = self.years[year] = _Year(exceptions)
        return found


_calendar_state: _Calendar | None = None


def _calendar() -> _Calendar:
    global _calendar_state
    state = _calendar_state
    if state is None or time.monotonic() - state.read_at > TABLE_REFRESH_SECONDS:
        rows = CalendarDay.objects.values_list("date", "kind")
        table = {day: kind == CalendarDay.Kind.WORKDAY for day, kind in rows}
        loaded = frozenset(day.year for day, working in table.items() if not working)
        state = _calendar_state = _Calendar(table, loaded)
    return state


def clear_cache() -> None:
    """Forget the table and settings this process read (tests; the signals below)."""
    global _calendar_state, _office_config
    _calendar_state = None
    _office_config = None


def calendar_changed(sender: type, using: str = "default", **kwargs: object) -> None:
    """post_save/post_delete of a CalendarDay: re-read now, and again once committed (so
    that another thread's read in between is not kept)."""
    clear_cache()
    transaction.on_commit(clear_cache, using=using)


def settings_changed(setting: str, **kwargs: object) -> None:
    if setting in ("WORK_TIME_ZONE", "WORK_OFFICE_PERIODS"):
        clear_cache()


def _weekdays_before(index: int) -> int:
    """Mondays–Fridays among day indices [0, index), index 0 being date(1, 1, 1), a Monday."""
    weeks, rest = divmod(index, 7)
    return weeks * 5 + min(rest, 5)


def _count_working_days(calendar: _Calendar, first: date, last: date) -> int:
    """Working days from `first` to `last`, both included."""
    if last < first:
        return 0
    low, high = first.toordinal(), last.toordinal()
    count = _weekdays_before(high) - _weekdays_before(low - 1)
    for year in range(first.year, last.year + 1):
        known = calendar.year(year)
        if not known.ordinals:
            continue
        start = bisect_left(known.ordinals, low) if year == first.year else 0
        end = bisect_right(known.ordinals, high) if year == last.year else len(known.ordinals)
        count += known.prefix[end] - known.prefix[start]
    return count


def _is_working(calendar: _Calendar, day: date) -> bool:
    return calendar.year(day.year).exceptions.get(day, day.weekday() < 5)


def _nth_working_day_after(calendar: _Calendar, day: date, n: int) -> date:
    """The n-th working day after `day` (n >= 1): whole weeks by counting, the rest by steps."""
    while n > 5:
        weeks = (n - 1) // 5  # at most n - 1 weekdays; halved if make-up days add too many
        while weeks:
            ahead = day + timedelta(weeks=weeks)
            counted = _count_working_days(calendar, day + _ONE_DAY, ahead)
            if counted < n:
                break
            weeks //= 2
        if not weeks:
            break
        day, n = ahead, n - counted
    while True:
        day += _ONE_DAY
        if _is_working(calendar, day):
            n -= 1
            if n == 0:
                return day


def is_working_day(day: date) -> bool:
    """Whether `day` (a date on the office's calendar) is a working day: table row, else
    chinesecalendar for the years it covers, else Monday to Friday."""
    if isinstance(day, datetime):
        raise TypeError("is_working_day takes a date; use .astimezone(...).date() first")
    return _is_working(_calendar(), day)


def calendar_gaps(start: date, end: date) -> list[int]:
    """Years from `start` to `end` with no holiday calendar: not covered by chinesecalendar
    and with no holiday row in the table. There only weekends are days off."""
    loaded = _calendar().loaded_years
    return [
        year
        for year in range(start.year, end.year + 1)
        if not PACKAGE_FIRST_YEAR <= year <= PACKAGE_LAST_YEAR and year not in loaded
    ]


def deadline_gaps(
    deadline: datetime | date | None, since: datetime | None = None
) -> tuple[int, ...]:
    """The flag on a computed deadline: the years from `since` (now) to the deadline whose
    holiday calendar is not loaded, where the deadline may fall on a holiday it does not
    know (2027-01-01 is New Year's Day whatever the weekend rule says). Empty when none."""
    if deadline is None:
        return ()
    office = _office()
    start = _local(office, since or timezone.now())[0]
    end = _local(office, deadline)[0] if isinstance(deadline, datetime) else deadline
    return tuple(calendar_gaps(min(start, end), end))


# From this day of the year on, next year's calendar is expected (the State Council
# publishes the holidays in the autumn): the back office and /healthz warn while it is missing.
NEXT_YEAR_WARNING_FROM = (11, 1)


def missing_calendar_years(today: date | None = None) -> list[int]:
    """This year if its calendar is missing, and next year too from 1 November."""
    today = today or _local(_office(), timezone.now())[0]
    last = today.year + 1 if (today.month, today.day) >= NEXT_YEAR_WARNING_FROM else today.year
    return calendar_gaps(date(today.year, 1, 1), date(last, 1, 1))


# --- Instants -------------------------------------------------------------------------------


def _require_aware(*moments: datetime | None) -> None:
    for moment in moments:
        if moment is not None and moment.utcoffset() is None:
            raise ValueError(f"the working-hours clock needs aware datetimes, not {moment!r}")


def _local(office: _Office, moment: datetime) -> tuple[date, int]:
    """The office's calendar date and time of day (µs after midnight) of an aware instant."""
    local = moment.astimezone(office.zone)
    tod = (local.hour * 3600 + local.minute * 60 + local.second) * _US + local.microsecond
    return local.date(), tod


def _instant(office: _Office, day: date, tod: int) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=office.zone) + timedelta(microseconds=tod)


def _office_us(calendar: _Calendar, office: _Office, start: datetime, end: datetime) -> int:
    """Office µs between two instants (0 when end is not after start)."""
    if end <= start:
        return 0
    first, start_tod = _local(office, start)
    last, end_tod = _local(office, end)
    if first == last:
        if not _is_working(calendar, first):
            return 0
        return _office_before(office, end_tod) - _office_before(office, start_tod)
    total = _count_working_days(calendar, first + _ONE_DAY, last - _ONE_DAY) * office.day_us
    if _is_working(calendar, first):
        total += office.day_us - _office_before(office, start_tod)
    if _is_working(calendar, last):
        total += _office_before(office, end_tod)
    return total


def _add_us(calendar: _Calendar, office: _Office, start: datetime, amount: int) -> datetime:
    """The earliest instant at which `amount` office µs have passed since `start`."""
    if amount <= 0:
        return start.astimezone(office.zone)
    day, tod = _local(office, start)
    if _is_working(calendar, day):
        used = _office_before(office, tod)
        if amount <= office.day_us - used:
            return _instant(office, day, _time_of_office(office, used + amount))
        amount -= office.day_us - used
    whole_days, rest = divmod(amount - 1, office.day_us)  # rest + 1 in (0, one day]
    target = _nth_working_day_after(calendar, day, whole_days + 1)
    return _instant(office, target, _time_of_office(office, rest + 1))


def _merged_pauses(pauses: Iterable[Pause], start: datetime, end: datetime | None) -> list[Pause]:
    """Pauses cut to [start, end] (end None: unbounded), sorted, overlaps joined."""
    cut: list[Pause] = []
    for pause_start, pause_end in pauses:
        _require_aware(pause_start, pause_end)
        low = max(pause_start, start)
        high = pause_end if end is None else min(pause_end or end, end)
        if high is None or low < high:
            cut.append((low, high))
    cut.sort(key=lambda pause: pause[0])
    merged: list[Pause] = []
    for low, high in cut:
        if merged:
            last_low, last_high = merged[-1]
            if last_high is None or low <= last_high:
                if last_high is not None and (high is None or high > last_high):
                    merged[-1] = (last_low, high)
                continue
        merged.append((low, high))
    return merged


def working_seconds(start: datetime, end: datetime, pauses: Iterable[Pause] = ()) -> int:
    """Office seconds from `start` to `end` (0 if end is not later), less the office time
    inside `pauses` — (start, end) pairs, end None while still paused; overlapping pauses
    count once."""
    _require_aware(start, end)
    calendar, office = _calendar(), _office()
    total = _office_us(calendar, office, start, end)
    if total:
        for low, high in _merged_pauses(pauses, start, end):
            total -= _office_us(calendar, office, low, high)
    return total // _US


def add_working_time(start: datetime, seconds: int) -> datetime:
    """The earliest instant at which `seconds` of office time have passed since `start`,
    in the office's time zone; from outside office hours counting begins at the next
    opening. working_seconds(start, add_working_time(start, s)) == s."""
    _require_aware(start)
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    return _add_us(_calendar(), _office(), start, round(seconds * _US))


# --- Readings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockReading:
    """A time limit's state at one instant. Times are office seconds.

    deadline: when the limit runs out, later by the office time spent paused; None while
    an open pause leaves it unknown (a pause begun after the deadline does not move it).
    remaining_seconds: limit − elapsed; 0 from the deadline until the office opens again,
    negative after. overdue: the whole limit is used (from the deadline on). warn:
    fraction_used >= WARN_FRACTION. calendar_gaps: years the count runs through whose
    holiday calendar has not been loaded (weekends only there).
    """

    limit: TimeLimit
    deadline: datetime | None
    elapsed_seconds: int
    remaining_seconds: int
    fraction_used: float
    overdue: bool
    paused: bool
    warn: bool
    calendar_gaps: tuple[int, ...]


def reading(
    started_at: datetime,
    limit: TimeLimit,
    pauses: Iterable[Pause] = (),
    now: datetime | None = None,
) -> ClockReading:
    """Read the clock of a time limit started at `started_at` (now: timezone.now())."""
    now = timezone.now() if now is None else now
    _require_aware(started_at, now)
    pauses = list(pauses)
    calendar, office = _calendar(), _office()

    # Run the limit down from the start, jumping over each pause that begins before it is
    # used up; an open pause there leaves the deadline unknown.
    deadline: datetime | None = None
    remaining_us, cursor, stopped = limit.seconds * _US, started_at, False
    for pause_start, pause_end in _merged_pauses(pauses, started_at, None):
        if pause_start >= _add_us(calendar, office, cursor, remaining_us):
            break
        remaining_us -= _office_us(calendar, office, cursor, pause_start)
        if pause_end is None:
            stopped = True
            break
        cursor = pause_end
    if not stopped:
        deadline = _add_us(calendar, office, cursor, remaining_us)

    elapsed = working_seconds(started_at, now, pauses)
    remaining = limit.seconds - elapsed
    fraction = elapsed / limit.seconds
    paused = any(low <= now and (high is None or now < high) for low, high in pauses)
    horizon = deadline or _add_us(calendar, office, max(now, started_at), remaining * _US)
    gaps = calendar_gaps(_local(office, started_at)[0], _local(office, max(horizon, now))[0])
    return ClockReading(
        limit=limit,
        deadline=deadline,
        elapsed_seconds=elapsed,
        remaining_seconds=remaining,
        fraction_used=fraction,
        overdue=remaining <= 0,
        paused=paused,
        warn=fraction >= WARN_FRACTION,
        calendar_gaps=tuple(gaps),
    )
