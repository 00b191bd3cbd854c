"""Figures of the enterprise requests (direct line) section."""

from collections import defaultdict
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from directline.models import Rating

from .. import histogram
from ..figures import Column, Figure, Kpi
from .board import WITHOUT_POLICY, Board, hours, kpi_figure, new_figure, share

SATISFIED = (Rating.SATISFIED, Rating.BASICALLY)


def _request_summary(board: Board, by: str | tuple[str, ...] | None) -> dict[Any, dict[str, Any]]:
    """Per `by` value (a column, or a tuple of columns: the group is then the tuple of their
    values; None for all): raised, on time, late, open, overdue, median working hours to
    the answer, rated, satisfied, unsatisfied."""
    summary: dict[Any, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    keep = [] if by is None else [by] if isinstance(by, str) else list(by)
    width = len(keep)

    def group_of(values: tuple) -> Any:
        if by is None:
            return None
        return values[0] if isinstance(by, str) else tuple(values[:width])

    for values in (
        board.tallies("requests", WITHOUT_POLICY, keep)
        .values_list(*keep, "key")
        .annotate(total=Sum("n"))
        .order_by()
    ):
        summary[group_of(values)][values[-2]] += values[-1] or 0
    buckets: dict[Any, list[tuple[int, int]]] = defaultdict(list)
    for values in (
        board.tallies("request_hours", WITHOUT_POLICY, keep)
        .values_list(*keep, "bucket")
        .annotate(total=Sum("n"))
        .order_by()
    ):
        buckets[group_of(values)].append((values[-2], values[-1]))
    for group, counts in buckets.items():
        summary[group]["median_hours"] = hours(histogram.percentile(counts, 0.5))
    for values in (
        board.tallies("request_ratings", WITHOUT_POLICY, keep)
        .values_list(*keep, "key")
        .annotate(total=Sum("n"))
        .order_by()
    ):
        group = group_of(values)
        summary[group]["rated"] += values[-1] or 0
        if values[-2] in SATISFIED:
            summary[group]["satisfied"] += values[-1] or 0
        elif values[-2] == Rating.UNSATISFIED:
            summary[group]["unsatisfied"] += values[-1] or 0
    for counts in summary.values():
        counts["raised"] = sum(counts.get(k, 0) for k in ("on_time", "late", "open", "overdue"))
        counts["answered"] = counts.get("on_time", 0) + counts.get("late", 0)
    return summary


def requests_kpis(board: Board) -> Figure:
    total = _request_summary(board, None).get(None, defaultdict(int))
    return kpi_figure(
        board,
        WITHOUT_POLICY,
        "requests_kpis",
        _("Enterprise requests"),
        [
            Kpi(
                "raised",
                _("Requests raised"),
                total["raised"],
                "int",
                board.link("directline:queue"),
            ),
            Kpi(
                "answered_on_time",
                _("Answered on time"),
                share(total["on_time"], total["answered"]),
                "share",
            ),
            Kpi("overdue", _("Unanswered past the limit"), total["overdue"], "int"),
            Kpi(
                "median_hours",
                _("Working hours to answer, median"),
                total.get("median_hours"),
                "hours",
            ),
            Kpi(
                "satisfaction",
                _("Satisfied or basically satisfied"),
                share(total["satisfied"], total["rated"]),
                "share",
            ),
        ],
    )


def requests_by(board: Board, dimension: str) -> Figure:
    column, table, title, label = {
        "department": (
            "department_id",
            "departments",
            _("Requests by department"),
            _("Department"),
        ),
        "district": ("district_id", "districts", _("Requests by district"), _("District")),
    }[dimension]
    summary = _request_summary(board, column)
    rows = [
        [
            board.name(table, group),
            counts["raised"],
            counts.get("on_time", 0),
            counts.get("late", 0),
            counts.get("open", 0) + counts.get("overdue", 0),
            counts.get("median_hours"),
            share(counts.get("satisfied", 0), counts.get("rated", 0)),
        ]
        for group, counts in summary.items()
    ]
    rows.sort(key=lambda row: row[0])
    return new_figure(
        board,
        WITHOUT_POLICY,
        key=f"requests_by_{dimension}",
        title=title,
        chart="bar",
        columns=[
            Column(dimension, label),
            Column("raised", pgettext_lazy("dashboard", "Raised"), "int"),
            Column("on_time", _("Answered on time"), "int"),
            Column("late", _("Answered late"), "int"),
            Column("open", _("Unanswered"), "int"),
            Column("median_hours", _("Median working hours to answer"), "hours"),
            Column("satisfaction", _("Satisfaction"), "share"),
        ],
        rows=rows,
        link=board.link("directline:queue"),
    )


def requests_by_month(board: Board) -> Figure:
    summary = _request_summary(board, "month")
    return new_figure(
        board,
        WITHOUT_POLICY,
        key="requests_by_month",
        title=_("Requests by month raised"),
        chart="line",
        columns=[
            Column("month", _("Month"), "month"),
            Column("raised", pgettext_lazy("dashboard", "Raised"), "int"),
            Column("on_time", _("Answered on time"), "int"),
        ],
        rows=[
            [month, summary[month]["raised"], summary[month].get("on_time", 0)]
            for month in sorted(summary)
        ],
    )


def requests_by_department_and_district(board: Board) -> Figure:
    """The direct line's figures per department and district (what
    directline.selectors.department_stats computes from the requests, here from the
    tallies, so that the filters and the viewer's scope apply): how many were raised and
    answered, the working hours to the answer, and the ratings."""
    summary = _request_summary(board, ("department_id", "district_id"))
    rows = [
        [
            board.name("departments", department_id),
            board.name("districts", district_id),
            counts["raised"],
            counts["answered"],
            share(counts.get("on_time", 0), counts["answered"]),
            counts.get("median_hours"),
            counts.get("rated", 0),
            share(counts.get("satisfied", 0), counts.get("rated", 0)),
            counts.get("unsatisfied", 0),
        ]
        for (department_id, district_id), counts in summary.items()
    ]
    rows.sort(key=lambda row: (row[0], row[1]))
    return new_figure(
        board,
        WITHOUT_POLICY,
        key="requests_by_department_and_district",
        title=_("Ratings and response times by department and district"),
        chart="table",
        columns=[
            Column("department", _("Department")),
            Column("district", _("District")),
            Column("raised", pgettext_lazy("dashboard", "Raised"), "int"),
            Column("answered", _("Answered"), "int"),
            Column("on_time", _("Answered on time"), "share"),
            Column("median_hours", _("Median working hours to answer"), "hours"),
            Column("rated", _("Rated"), "int"),
            Column("satisfaction", _("Satisfied or basically satisfied"), "share"),
            Column("unsatisfied", _("Unsatisfied"), "int"),
        ],
        rows=rows,
        link=board.link("directline:queue"),
    )
