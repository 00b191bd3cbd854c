"""Figures of the funds and claims section."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from enterprises.industries import section_choices
from enterprises.models import SizeClass
from qinqing.money import yuan
from subsidies.models import ClaimStatus

from .. import histogram
from ..figures import Column, Figure, Kpi
from ..models import UNKNOWN_INDUSTRY_LABEL, Tally
from .board import (
    ALL_FILTERS,
    MONEY,
    WITHOUT_PERIOD,
    Board,
    figure_by_state,
    kpi_figure,
    new_figure,
    share,
)


def served_enterprises(board: Board) -> int:
    """Distinct enterprises paid, read from the rows counted for exactly this period kind
    and reach (see tallies.funds.refresh_served): never a sum of overlapping counts."""
    f = board.filters
    grain = board.grain(("district", "industry"))
    rows = Tally.objects.filter(subject="served", grain=grain, key=f.period.kind)
    if f.period.start is not None:
        rows = rows.filter(month=f.period.start)
    if f.policy_id:
        rows = rows.filter(policy_id=f.policy_id)
        if f.department_id:
            rows = rows.filter(department_id=f.department_id)
    elif f.department_id:
        rows = rows.filter(department_id=f.department_id, policy_id__isnull=True)
    else:
        rows = rows.filter(department_id__isnull=True, policy_id__isnull=True)
    if f.district_id:
        rows = rows.filter(district_id=f.district_id)
    if f.industry:
        rows = rows.filter(industry=f.industry)
    return board.total(rows)


def funds_kpis(board: Board) -> Figure:
    payments = board.tallies("payments")
    paid = payments.aggregate(n=Sum("n"), amount=Sum("amount"))
    paid["amount"] = yuan(paid["amount"] or 0)
    this_month = board.tallies("payments", WITHOUT_PERIOD).filter(month=board.today.replace(day=1))
    month_amount = yuan(this_month.aggregate(amount=Sum("amount"))["amount"] or 0)
    timing = board.buckets(board.tallies("claim_to_cash")).get(None, [])
    link = board.claims_link(status=ClaimStatus.PAID)
    return kpi_figure(
        board,
        ALL_FILTERS,
        "funds_kpis",
        _("Funds and claims"),
        [
            Kpi("disbursed", _("Funds disbursed"), paid["amount"] or Decimal("0.00"), MONEY, link),
            Kpi("disbursed_this_month", _("Disbursed this month"), month_amount, MONEY),
            Kpi("payments", _("Payments made"), paid["n"] or 0, "int", link),
            Kpi("served", _("Enterprises served"), served_enterprises(board), "int"),
            Kpi(
                "claim_to_cash_p50",
                _("Claim to cash, median"),
                histogram.percentile(timing, 0.5),
                "ms",
            ),
            Kpi(
                "claim_to_cash_p95",
                _("Claim to cash, 95th percentile"),
                histogram.percentile(timing, 0.95),
                "ms",
            ),
        ],
    )


def funds_by_month(board: Board) -> Figure:
    rows = board.sums(board.tallies("payments"), "month")
    return new_figure(
        board,
        ALL_FILTERS,
        key="funds_by_month",
        title=_("Funds disbursed by month"),
        chart="line",
        columns=[
            Column("month", _("Month"), "month"),
            Column("amount", _("Disbursed (yuan)"), MONEY),
            Column("payments", _("Payments"), "int"),
        ],
        rows=[
            [month, amount, count]
            for month, (count, amount) in sorted(rows.items(), key=lambda item: item[0] or date.min)
        ],
        link=board.claims_link(status=ClaimStatus.PAID),
    )


def funds_by(board: Board, dimension: str) -> Figure:
    fields = {
        "policy": ("policy_id", "policies", _("Funds disbursed by policy"), _("Policy")),
        "department": (
            "department_id",
            "departments",
            _("Funds disbursed by department"),
            _("Department"),
        ),
        "district": ("district_id", "districts", _("Funds disbursed by district"), _("District")),
    }
    column, table, title, label = fields[dimension]
    sums = board.sums(board.tallies("payments", keep=[column]), column)
    rows = sorted(
        ([board.name(table, pk), amount, count] for pk, (count, amount) in sums.items()),
        key=lambda row: (-row[1], row[0]),
    )
    return new_figure(
        board,
        ALL_FILTERS,
        key=f"funds_by_{dimension}",
        title=title,
        chart="bar",
        columns=[
            Column(dimension, label),
            Column("amount", _("Disbursed (yuan)"), MONEY),
            Column("payments", _("Payments"), "int"),
        ],
        rows=rows,
        link=board.claims_link(status=ClaimStatus.PAID),
    )


def persons_paid_by(board: Board, dimension: str) -> Figure:
    """Persons paid by policies for employees (issue #26), by the employer's district,
    industry or size: how many and how much, never who."""
    fields = {
        "district": ("district_id", _("Persons paid by district"), _("District")),
        "industry": ("industry", _("Persons paid by industry of the employer"), _("Industry")),
        "size": ("key", _("Persons paid by size of the employer"), _("Enterprise size")),
    }
    column, title, label = fields[dimension]
    keep = [column] if column != "key" else []
    sums = board.sums(board.tallies("persons_paid", keep=keep), column)
    sizes = dict(SizeClass.choices)

    def named(value: Any) -> str:
        if dimension == "district":
            return board.name("districts", value)
        if dimension == "size":
            return str(sizes.get(value, value or _("Not recorded")))
        sections = dict(section_choices(get_language() or "zh-hans"))
        return str(sections.get(value, UNKNOWN_INDUSTRY_LABEL))

    rows = sorted(([named(value), count, amount] for value, (count, amount) in sums.items()),
                  key=lambda row: (-row[2], row[0]))  # fmt: skip
    return new_figure(
        board,
        ALL_FILTERS,
        key=f"persons_paid_by_{dimension}",
        title=title,
        chart="bar",
        columns=[
            Column(dimension, label),
            Column("persons", _("Persons paid"), "int"),
            Column("amount", _("Paid (yuan)"), MONEY),
        ],
        rows=rows,
    )


def claims_by_state(board: Board) -> Figure:
    return figure_by_state(
        board,
        "claims",
        ALL_FILTERS,
        ClaimStatus.choices,
        key="claims_by_state",
        title=_("Claims by state"),
        columns=[
            Column("state", _("State")),
            Column("claims", pgettext_lazy("dashboard", "Claims"), "int"),
        ],
        link=board.claims_link(),
    )


def budget_by_policy(board: Board) -> Figure:
    honours = ("department", "policy")
    totals = board.sums(board.tallies("budget_total", honours), "policy_id")
    reserved = board.sums(board.tallies("budget_reserved", honours), "policy_id")
    paid = board.sums(board.tallies("payments", honours), "policy_id")
    rows = []
    for policy_id, (_count, total) in totals.items():
        spent = paid.get(policy_id, (0, Decimal("0.00")))[1]
        rows.append(
            [
                board.name("policies", policy_id),
                total,
                reserved.get(policy_id, (0, Decimal("0.00")))[1],
                spent,
                share(spent, total),
            ]
        )
    rows.sort(key=lambda row: row[0])
    return new_figure(
        board,
        honours,
        key="budget_by_policy",
        title=_("Budget used per policy"),
        chart="table",
        columns=[
            Column("policy", _("Policy")),
            Column("budget", _("Budget (yuan)"), MONEY),
            Column("reserved", _("Reserved (yuan)"), MONEY),
            Column("paid", _("Paid (yuan)"), MONEY),
            Column("used", _("Used"), "share"),
        ],
        rows=rows,
        note=_(
            "Budgets belong to policies: the period, district and industry filters do not apply."
        ),
    )
