"""Figures of the credit section."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from credit.commitments.models import CommitmentStatus
from credit.grades.models import Grade

from ..figures import Column, Figure, Kpi
from .board import WITHOUT_POLICY, Board, figure_by_state, kpi_figure, new_figure, share

BREACHED_STATES = (CommitmentStatus.BREACHED, CommitmentStatus.PENALISED, CommitmentStatus.REPAIRED)


def credit_kpis(board: Board) -> Figure:
    commitments = board.counts(board.tallies("commitments", WITHOUT_POLICY), "key")
    inspections = board.counts(board.tallies("inspections", WITHOUT_POLICY), "key")
    drawn = sum(inspections.values())
    done = inspections.get("on_time", 0) + inspections.get("late", 0)
    return kpi_figure(
        board,
        WITHOUT_POLICY,
        "credit_kpis",
        _("Credit"),
        [
            Kpi(
                "commitments_made",
                _("Commitments made"),
                sum(commitments.values()),
                "int",
                board.link("credit:commitments"),
            ),
            Kpi(
                "commitments_fulfilled",
                _("Commitments fulfilled"),
                commitments.get(CommitmentStatus.FULFILLED, 0),
                "int",
            ),
            Kpi(
                "commitments_breached",
                _("Commitments breached"),
                sum(commitments.get(s, 0) for s in BREACHED_STATES),
                "int",
            ),
            Kpi(
                "inspections_drawn",
                _("Enterprises drawn for inspection"),
                drawn,
                "int",
                board.link("credit:campaigns"),
            ),
            Kpi("inspections_done", _("Inspections done"), done, "int"),
            Kpi(
                "published_on_time",
                _("Results published on time"),
                share(inspections.get("on_time", 0), done),
                "share",
            ),
        ],
    )


def commitments_by_state(board: Board) -> Figure:
    return figure_by_state(
        board,
        "commitments",
        WITHOUT_POLICY,
        CommitmentStatus.choices,
        key="commitments_by_state",
        title=_("Commitments by state"),
        columns=[Column("state", _("State")), Column("commitments", _("Commitments"), "int")],
        link=board.link("credit:commitments"),
    )


def grade_distribution(board: Board) -> Figure:
    honours = ("district", "industry")
    counts = board.counts(board.tallies("grades", honours), "key")
    total = sum(counts.values())
    return new_figure(
        board,
        honours,
        key="grade_distribution",
        title=_("Credit grades of enterprises"),
        chart="bar",
        columns=[
            Column("grade", _("Grade")),
            Column("enterprises", _("Enterprises"), "int"),
            Column("share", _("Share"), "share"),
        ],
        rows=[
            [grade, counts.get(grade, 0), share(counts.get(grade, 0), total)]
            for grade in Grade.values
        ],
        note=_(
            "Grades as they stand now, for the enterprises in the district and industry chosen."
        ),
    )


def inspections_by_department(board: Board) -> Figure:
    rows_by = board.counts_by(board.tallies("inspections", WITHOUT_POLICY), "department_id")
    rows = [
        [
            board.name("departments", department),
            sum(standing.values()),
            standing.get("on_time", 0),
            standing.get("late", 0),
            standing.get("outstanding", 0),
            standing.get("overdue", 0),
        ]
        for department, standing in rows_by.items()
    ]
    rows.sort(key=lambda row: row[0])
    return new_figure(
        board,
        WITHOUT_POLICY,
        key="inspections_by_department",
        title=_("Inspections against the 20-day publication limit"),
        chart="bar",
        columns=[
            Column("department", _("Department")),
            Column("drawn", pgettext_lazy("dashboard", "Drawn"), "int"),
            Column("on_time", _("Published on time"), "int"),
            Column("late", _("Published late"), "int"),
            Column("outstanding", _("Outstanding"), "int"),
            Column("overdue", _("Overdue"), "int"),
        ],
        rows=rows,
        link=board.link("credit:campaigns"),
    )
