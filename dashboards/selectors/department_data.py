"""Figures of the department data section: the data hub's calls."""

from django.utils.translation import gettext_lazy as _

from datahub.models import CallOutcome

from .. import histogram
from ..figures import Column, Figure, Kpi
from .board import WITHOUT_POLICY, Board, kpi_figure, new_figure, share

FAILED_CALLS = (
    CallOutcome.TIMEOUT,
    CallOutcome.UNAVAILABLE,
    CallOutcome.MALFORMED,
    CallOutcome.CIRCUIT_OPEN,
    CallOutcome.NO_PROVIDER,
)


def data_kpis(board: Board) -> Figure:
    outcomes = board.counts(board.tallies("data_calls", WITHOUT_POLICY), "key")
    calls = sum(outcomes.values())
    failed = sum(outcomes.get(o, 0) for o in FAILED_CALLS)
    latency = board.buckets(board.tallies("data_call_ms", WITHOUT_POLICY)).get(None, [])
    return kpi_figure(
        board,
        WITHOUT_POLICY,
        "data_kpis",
        _("Department data"),
        [
            Kpi("calls", _("Data calls"), calls, "int", board.link("data_calls")),
            Kpi("error_rate", _("Error rate"), share(failed, calls), "share"),
            Kpi("p95_ms", _("Latency, 95th percentile"), histogram.percentile(latency, 0.95), "ms"),
        ],
    )


def calls_by_department(board: Board) -> Figure:
    outcomes = board.counts_by(board.tallies("data_calls", WITHOUT_POLICY), "department_id")
    latency = board.buckets(board.tallies("data_call_ms", WITHOUT_POLICY), "department_id")
    rows = []
    for department, counts in outcomes.items():
        calls = sum(counts.values())
        failed = sum(counts.get(o, 0) for o in FAILED_CALLS)
        timing = latency.get(department, [])
        rows.append(
            [
                board.name("departments", department),
                calls,
                failed,
                share(failed, calls),
                histogram.percentile(timing, 0.5),
                histogram.percentile(timing, 0.95),
            ]
        )
    rows.sort(key=lambda row: row[0])
    return new_figure(
        board,
        WITHOUT_POLICY,
        key="calls_by_department",
        title=_("Data calls by department"),
        chart="bar",
        columns=[
            Column("department", _("Department")),
            Column("calls", _("Calls"), "int"),
            Column("failed", _("Failed"), "int"),
            Column("error_rate", _("Error rate"), "share"),
            Column("p50_ms", _("Median latency"), "ms"),
            Column("p95_ms", _("95th percentile latency"), "ms"),
        ],
        rows=rows,
        link=board.link("data_calls"),
    )


def calls_by_month(board: Board) -> Figure:
    by_month = {
        month: [sum(outcomes.values()), sum(outcomes.get(o, 0) for o in FAILED_CALLS)]
        for month, outcomes in board.counts_by(
            board.tallies("data_calls", WITHOUT_POLICY), "month"
        ).items()
    }
    return new_figure(
        board,
        WITHOUT_POLICY,
        key="calls_by_month",
        title=_("Data calls by month"),
        chart="line",
        columns=[
            Column("month", _("Month"), "month"),
            Column("calls", _("Calls"), "int"),
            Column("failed", _("Failed"), "int"),
        ],
        rows=[[month, *by_month[month]] for month in sorted(by_month)],
    )
