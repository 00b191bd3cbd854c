"""Figures of the recovery section: what came back of undue payments and what is still
owed, by department and district. Read from the orders themselves (a few rows a city,
never millions), under the same filters and scope as the tallies."""

from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from recovery.models import OPEN_STATES, RecoveryOrder

from ..figures import Column, Figure, Kpi
from .board import MONEY, Board, kpi_figure, new_figure

HONOURS = ("period", "district", "department", "policy")
ZERO = Decimal("0.00")
OPEN = Q(status__in=OPEN_STATES)


def orders(board: Board) -> QuerySet[RecoveryOrder]:
    """The orders under the board's filters, narrowed to the viewer's scope: raised in the
    period, of the department's policies, of the district's enterprises."""
    f = board.filters
    rows = RecoveryOrder.objects.all()
    if f.period.start is not None:
        rows = rows.filter(created_at__date__gte=f.period.start, created_at__date__lt=f.period.end)
    if f.district_id:
        rows = rows.filter(enterprise__district_id=f.district_id)
    if f.department_id:
        rows = rows.filter(claim__policy__department_id=f.department_id)
    if f.policy_id:
        rows = rows.filter(claim__policy_id=f.policy_id)
    return rows


def _figures(rows: QuerySet[RecoveryOrder]) -> dict[str, Decimal | int]:
    found = rows.aggregate(got=Sum("recovered"), owed=Sum("amount", filter=OPEN),
                           back=Sum("recovered", filter=OPEN))  # fmt: skip
    return {"recovered": found["got"] or ZERO,
            "outstanding": (found["owed"] or ZERO) - (found["back"] or ZERO)}  # fmt: skip


def recovery_kpis(board: Board) -> Figure:
    rows = orders(board)
    figures = _figures(rows)
    link = board.link("recovery:orders")
    return kpi_figure(board, HONOURS, "recovery_kpis", _("Recovery of undue payments"), [
        Kpi("recovered", _("Recovered"), figures["recovered"], MONEY, link),
        Kpi("outstanding", _("Still owed"), figures["outstanding"], MONEY, link),
        Kpi("open_orders", _("Open recovery orders"), rows.filter(OPEN).count(), "int", link),
    ])  # fmt: skip


def recovery_by(board: Board, dimension: str) -> Figure:
    path, table, title, label = {
        "department": ("claim__policy__department_id", "departments",
                       _("Recovered and still owed by department"), _("Department")),
        "district": ("enterprise__district_id", "districts",
                     _("Recovered and still owed by district"), _("District")),
    }[dimension]  # fmt: skip
    grouped = orders(board).values(path).annotate(
        got=Sum("recovered"), owed=Sum("amount", filter=OPEN),
        back=Sum("recovered", filter=OPEN),
    )  # fmt: skip
    rows = sorted(
        ([board.name(table, row[path]), row["got"] or ZERO,
          (row["owed"] or ZERO) - (row["back"] or ZERO)] for row in grouped),
        key=lambda row: (-(row[1] + row[2]), row[0]),
    )  # fmt: skip
    return new_figure(
        board, HONOURS, key=f"recovery_by_{dimension}", title=title, chart="bar",
        columns=[Column(dimension, label), Column("recovered", _("Recovered (yuan)"), MONEY),
                 Column("outstanding", _("Still owed (yuan)"), MONEY)],
        rows=rows, link=board.link("recovery:orders"),
    )  # fmt: skip
