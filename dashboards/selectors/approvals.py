"""Figures of the project approvals section."""

from django.utils.translation import gettext_lazy as _

from approvals.models import ItemStatus
from qinqing.workhours.clock import TimeLimit

from .. import histogram
from ..figures import Column, Figure, Kpi
from .board import WITHOUT_POLICY, Board, figure_by_state, hours, kpi_figure, new_figure, share

OPEN_ITEM_STATES = (ItemStatus.PENDING, ItemStatus.SUPPLEMENT)
APPROVED_ITEM_STATES = (ItemStatus.APPROVED, ItemStatus.COMMITTED, ItemStatus.VERIFIED)
ON_COMMITMENT_STATES = (ItemStatus.COMMITTED, ItemStatus.VERIFIED, ItemStatus.REVOKED)


def approvals_kpis(board: Board) -> Figure:
    items = board.tallies("items", WITHOUT_POLICY)
    by_state = board.counts(items, "key")
    approved = sum(by_state.get(state, 0) for state in APPROVED_ITEM_STATES)
    on_commitment = sum(by_state.get(state, 0) for state in ON_COMMITMENT_STATES)
    granted = approved + by_state.get(ItemStatus.REVOKED, 0)
    timing = board.buckets(board.tallies("item_hours", WITHOUT_POLICY)).get(None, [])
    return kpi_figure(
        board,
        WITHOUT_POLICY,
        "approvals_kpis",
        _("Project approvals"),
        [
            Kpi(
                "in_progress",
                _("Items in progress"),
                sum(by_state.get(s, 0) for s in OPEN_ITEM_STATES),
                "int",
                board.link("approvals:queue"),
            ),
            Kpi("approved", _("Items approved"), approved, "int"),
            Kpi(
                "overdue",
                _("Items overdue"),
                board.total(board.tallies("items_overdue", WITHOUT_POLICY)),
                "int",
                board.link("approvals:overdue"),
            ),
            Kpi(
                "on_commitment", _("Approved on commitment"), share(on_commitment, granted), "share"
            ),
            Kpi(
                "median_hours",
                _("Working hours to approval, median"),
                hours(histogram.percentile(timing, 0.5)),
                "hours",
            ),
        ],
    )


def items_by_state(board: Board) -> Figure:
    return figure_by_state(
        board,
        "items",
        WITHOUT_POLICY,
        ItemStatus.choices,
        key="items_by_state",
        title=_("Approval items by state"),
        columns=[Column("state", _("State")), Column("items", _("Items"), "int")],
        link=board.link("approvals:queue"),
    )


def items_by_department(board: Board) -> Figure:
    grouped = board.counts_by(board.tallies("items", WITHOUT_POLICY), "department_id")
    overdue = board.counts(board.tallies("items_overdue", WITHOUT_POLICY), "department_id")
    rows = []
    for department, states in grouped.items():
        rows.append(
            [
                board.name("departments", department),
                sum(states.get(s, 0) for s in OPEN_ITEM_STATES),
                sum(states.get(s, 0) for s in APPROVED_ITEM_STATES),
                states.get(ItemStatus.REJECTED, 0),
                overdue.get(department, 0),
            ]
        )
    rows.sort(key=lambda row: row[0])
    return new_figure(
        board,
        WITHOUT_POLICY,
        key="items_by_department",
        title=_("Approval items by department"),
        chart="bar",
        columns=[
            Column("department", _("Department")),
            Column("in_progress", _("In progress"), "int"),
            Column("approved", _("Approved"), "int"),
            Column("rejected", _("Rejected"), "int"),
            Column("overdue", _("Overdue"), "int"),
        ],
        rows=rows,
        link=board.link("approvals:queue"),
    )


def approval_hours_by_item_type(board: Board) -> Figure:
    timing = board.buckets(board.tallies("item_hours", WITHOUT_POLICY), "category_id")
    rows = []
    for item_type_id, counts in timing.items():
        item_type = board.item_types.get(item_type_id)
        limit_hours = None
        if item_type is not None:
            limit_hours = TimeLimit(item_type.limit_amount, item_type.limit_unit).seconds / 3600
        median = hours(histogram.percentile(counts, 0.5))
        rows.append(
            [
                item_type.name if item_type else f"#{item_type_id}",
                sum(count for _bucket, count in counts),
                median,
                hours(histogram.percentile(counts, 0.95)),
                limit_hours,
            ]
        )
    rows.sort(key=lambda row: row[0])
    return new_figure(
        board,
        WITHOUT_POLICY,
        key="approval_hours_by_item_type",
        title=_("Working hours to approval against the limit"),
        chart="bar",
        columns=[
            Column("item_type", _("Item")),
            Column("approved", _("Approved"), "int"),
            Column("median", _("Median (working hours)"), "hours"),
            Column("p95", _("95th percentile (working hours)"), "hours"),
            Column("limit", _("Limit (working hours)"), "hours"),
        ],
        rows=rows,
        note=_("Percentiles are read from 10 % wide duration bands, within a few per cent."),
    )


def items_by_month(board: Board) -> Figure:
    by_month = board.counts_by(board.tallies("items", WITHOUT_POLICY), "month")
    started = {month: sum(states.values()) for month, states in by_month.items()}
    approved = {
        month: sum(states.get(state, 0) for state in APPROVED_ITEM_STATES)
        for month, states in by_month.items()
    }
    return new_figure(
        board,
        WITHOUT_POLICY,
        key="items_by_month",
        title=_("Approval items by month"),
        chart="line",
        columns=[
            Column("month", _("Month"), "month"),
            Column("started", _("Submitted"), "int"),
            Column("approved", _("Approved"), "int"),
        ],
        rows=[[month, started[month], approved[month]] for month in sorted(started)],
    )
