"""Loading a year's holiday calendar moves the deadlines computed without it.

A deadline counted through a year whose calendar was missing treated its holidays as
working days (only weekends off), so it came too early. Once the year is loaded, every open
deadline that runs into it is computed again: the running clocks of every clocked case
(qinqing.workhours.cases — approval items, enterprise requests) here, and the deadlines an
app computes once with add_working_time (a commitment's verification date, an
inspection's publication limit) by the recomputer the app registers in
`DEADLINE_RECOMPUTERS`: a callable taking the first instant of the earliest year loaded and
answering how many rows it moved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from qinqing.registry import Registry

from .case_services import refresh_deadline
from .cases import ClockedCase
from .clock import clear_cache

DEADLINE_RECOMPUTERS: Registry[Callable[[datetime], int]] = Registry("open deadline recomputer")


def clocked_models() -> list[type[ClockedCase]]:
    return [model for model in apps.get_models() if issubclass(model, ClockedCase)]


def recompute_open_deadlines(years: Iterable[int]) -> dict[str, int]:
    """Compute again every running deadline that reaches into `years` (just loaded): a
    case whose clock runs (a deadline set; a paused or decided case has none) with its
    deadline on or after the first of those years. Answers the rows moved, per model."""
    years = sorted(set(years))
    if not years:
        return {}
    clear_cache()  # this process reads the calendar just written
    since = timezone.make_aware(datetime.combine(date(years[0], 1, 1), time.min))
    moved: dict[str, int] = {}
    for model in clocked_models():
        count = 0
        running = model._default_manager.filter(deadline__isnull=False, deadline__gte=since)
        for pk in running.values_list("pk", flat=True).iterator(chunk_size=500):
            with transaction.atomic():
                case = model._default_manager.select_for_update().filter(pk=pk).first()
                if case is None or case.deadline is None:
                    continue
                before = case.deadline
                refresh_deadline(case)
                count += case.deadline != before
        moved[model._meta.label] = count
    for name, recompute in DEADLINE_RECOMPUTERS.items():
        moved[name] = recompute(since)
    return moved


_pending_years: set[int] = set()


def recompute_when_committed(year: int) -> None:
    """A holiday row of `year` was written (the back office, a loader): once the
    transaction commits, recompute the open deadlines of the years written, once for all
    the rows of one load."""
    _pending_years.add(year)
    # One callback per row; the first to run takes every year pending, the others find
    # nothing left (and a rolled-back load's years are taken by the next commit).
    transaction.on_commit(_run_pending)


def _run_pending() -> None:
    if not _pending_years:
        return
    years = sorted(_pending_years)
    _pending_years.clear()
    recompute_open_deadlines(years)
