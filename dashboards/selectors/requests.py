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


def _request_summary(board: Board, by: str | None) -> dict[Any, dict[str, Any]]:
    """Per `by` value (or None for all): raised, on time, late, open, overdue, median
    working hours to the answer, satisfaction."""
    summary: dict[Any, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    fields = ("key",) if by is None else (by, "key")
    keep = [by] if by else []
    for values in (
        board.tallies("requests", WITHOUT_POLICY, keep)
        .values_list(*fields)
        .annotate(total=Sum("n"))
        .order_by()
    ):
        group = None if by is None else values[0]
        summary[group][values[-2]] += values[-1] or 0
    for group, counts in board.buckets(
        board.tallies("request_hours", WITHOUT_POLICY, keep), by
    ).items():
        summary[group]["median_hours"] = hours(histogram.percentile(counts, 0.5))
    for values in (
        board.tallies("request_ratings", WITHOUT_POLICY, keep)
        .values_list(*fields)
        .annotate(total=Sum("n"))
        .order_by()
    ):
        group = None if by is None else values[0]
        summary[group]["rated"] += values[-1] or 0
        if values[-2] in SATISFIED:
            summary[group]["satisfied"] += values[-1] or 0
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
