"""The figures, read from the tallies: every figure is one aggregate query over a few
thousand pre-summed rows, whatever the city's size.

Each builder takes a `Board` (the filters already narrowed to the viewer's scope, and the
names of things) and returns a `Figure`. Sections group them; the overview takes the
headline numbers and one chart of each section.
"""

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from approvals.models import ItemStatus, ItemType
from credit.commitments.models import CommitmentStatus
from credit.grades.models import Grade
from datahub.models import CallOutcome
from departments.models import Department, District
from directline.models import Rating
from enterprises.industries import SECTION_BY_CODE
from policies.models import Policy
from qinqing.i18n import prefers_chinese
from qinqing.money import yuan
from qinqing.workhours.clock import TimeLimit
from subsidies.models import ClaimStatus

from . import histogram
from .figures import Column, Figure, Kpi, Section
from .models import Refresh, Tally
from .scope import Filters, Scope

ALL_FILTERS = ("period", "district", "department", "policy", "industry")
WITHOUT_POLICY = ("period", "district", "department", "industry")
WITHOUT_PERIOD = ("district", "department", "policy", "industry")

OPEN_ITEM_STATES = (ItemStatus.PENDING, ItemStatus.SUPPLEMENT)
APPROVED_ITEM_STATES = (ItemStatus.APPROVED, ItemStatus.COMMITTED, ItemStatus.VERIFIED)
ON_COMMITMENT_STATES = (ItemStatus.COMMITTED, ItemStatus.VERIFIED, ItemStatus.REVOKED)
BREACHED_STATES = (CommitmentStatus.BREACHED, CommitmentStatus.PENALISED, CommitmentStatus.REPAIRED)
FAILED_CALLS = (
    CallOutcome.TIMEOUT,
    CallOutcome.UNAVAILABLE,
    CallOutcome.MALFORMED,
    CallOutcome.CIRCUIT_OPEN,
    CallOutcome.NO_PROVIDER,
)
SATISFIED = (Rating.SATISFIED, Rating.BASICALLY)


def share(part: int | Decimal, whole: int | Decimal) -> float | None:
    return float(part) / float(whole) if whole else None


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600


class Board:
    """The filters a page asked for, narrowed to the viewer's scope, and the names the
    figures need; one per request."""

    def __init__(self, filters: Filters, scope: Scope, today: date | None = None) -> None:
        self.requested = filters
        self.filters = filters.within(scope)
        self.scope = scope
        self.today = today or timezone.localdate()

    # -- reading tallies ---------------------------------------------------------------------

    def tallies(
        self, subject: str, honours: Iterable[str] = ALL_FILTERS, keep: Iterable[str] = ()
    ) -> QuerySet[Tally]:
        """The subject's rows under every filter it honours, at the coarsest grain that
        still has the district or industry a filter or the breakdown (`keep`) needs."""
        honours = set(honours)
        f = self.filters
        rows = Tally.objects.filter(subject=subject, grain=self.grain(honours, keep))
        if "period" in honours and f.period.start is not None:
            rows = rows.filter(month__gte=f.period.start, month__lt=f.period.end)
        if "district" in honours and f.district_id:
            rows = rows.filter(district_id=f.district_id)
        if "department" in honours and f.department_id:
            rows = rows.filter(department_id=f.department_id)
        if "policy" in honours and f.policy_id:
            rows = rows.filter(policy_id=f.policy_id)
        if "industry" in honours and f.industry:
            rows = rows.filter(industry=f.industry)
        return rows

    def grain(self, honours: Iterable[str], keep: Iterable[str] = ()) -> str:
        keep = set(keep)
        by_district = "district_id" in keep or ("district" in honours and self.filters.district_id)
        by_industry = "industry" in keep or ("industry" in honours and bool(self.filters.industry))
        return "di" if by_district or by_industry else ""

    def ignored(self, honours: Iterable[str]) -> tuple[str, ...]:
        """The filters the viewer chose that this figure cannot apply (shown as a note)."""
        chosen = {
            "period": self.requested.period.start is not None,
            "district": bool(self.requested.district_id),
            "department": bool(self.requested.department_id),
            "policy": bool(self.requested.policy_id),
            "industry": bool(self.requested.industry),
        }
        return tuple(name for name in ALL_FILTERS if chosen[name] and name not in honours)

    @staticmethod
    def counts(rows: QuerySet[Tally], by: str) -> dict[Any, int]:
        return {
            value: total or 0
            for value, total in rows.values_list(by).annotate(total=Sum("n")).order_by()
        }

    @staticmethod
    def counts_by(rows: QuerySet[Tally], by: str) -> dict[Any, dict[str, int]]:
        """Counts per `by` value, then per key (state, outcome, standing)."""
        grouped: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for value, key, total in rows.values_list(by, "key").annotate(total=Sum("n")).order_by():
            grouped[value][key] += total or 0
        return grouped

    @staticmethod
    def sums(rows: QuerySet[Tally], by: str) -> dict[Any, tuple[int, Decimal]]:
        return {
            value: (count or 0, yuan(amount or 0))
            for value, count, amount in rows.values_list(by)
            .annotate(count=Sum("n"), total=Sum("amount"))
            .values_list(by, "count", "total")
            .order_by()
        }

    @staticmethod
    def total(rows: QuerySet[Tally]) -> int:
        return rows.aggregate(total=Sum("n"))["total"] or 0

    @staticmethod
    def buckets(rows: QuerySet[Tally], by: str | None = None) -> dict[Any, list[tuple[int, int]]]:
        grouped: dict[Any, list[tuple[int, int]]] = defaultdict(list)
        fields = ("bucket",) if by is None else (by, "bucket")
        for values in rows.values_list(*fields).annotate(total=Sum("n")).order_by():
            key = None if by is None else values[0]
            grouped[key].append((values[-2], values[-1]))
        return grouped

    # -- names ------------------------------------------------------------------------------

    @cached_property
    def policies(self) -> dict[int, Policy]:
        return {policy.pk: policy for policy in Policy.objects.only("code", "title_zh", "title_en")}

    @cached_property
    def departments(self) -> dict[int, Department]:
        return {d.pk: d for d in Department.objects.only("code", "name_zh", "name_en")}

    @cached_property
    def districts(self) -> dict[int, District]:
        return {d.pk: d for d in District.objects.only("code", "name_zh", "name_en")}

    @cached_property
    def item_types(self) -> dict[int, ItemType]:
        return {t.pk: t for t in ItemType.objects.all()}

    def name(self, table: str, pk: int | None) -> str:
        if pk is None:
            return str(_("Not recorded"))
        thing = getattr(self, table).get(pk)
        if thing is None:
            return f"#{pk}"
        return thing.title if table == "policies" else thing.name

    @staticmethod
    def industry_name(code: str) -> str:
        section = SECTION_BY_CODE.get(code)
        if section is None:
            return code or str(_("Not recorded"))
        return section.name_zh if prefers_chinese() else section.name_en

    # -- links to the lists behind the figures ----------------------------------------------

    def link(self, url_name: str, **params: Any) -> str:
        query = {key: value for key, value in params.items() if value not in (None, "")}
        url = reverse(url_name)
        return f"{url}?{urlencode(query)}" if query else url

    def claims_link(self, **params: Any) -> str:
        f = self.filters
        since = until = None
        if f.period.start is not None:
            since = f.period.start.isoformat()
            until = date.fromordinal(f.period.end.toordinal() - 1).isoformat()
        policy = self.policies.get(f.policy_id) if f.policy_id else None
        district = self.districts.get(f.district_id) if f.district_id else None
        return self.link(
            "subsidies:claims",
            policy=policy.code if policy else None,
            district=district.code if district else None,
            since=since,
            until=until,
            **params,
        )


def _figure(board: Board, honours: Iterable[str], **fields: Any) -> Figure:
    return Figure(ignores=board.ignored(honours), **fields)


def _by_state(
    board: Board, subject: str, honours: Iterable[str], choices: list, **fields: Any
) -> Figure:
    """A pie of how many of `subject` are in each state, in the states' own order."""
    counts = board.counts(board.tallies(subject, honours), "key")
    labels = dict(choices)
    rows = [[str(labels[state]), counts[state]] for state in labels if counts.get(state)]
    return _figure(board, honours, chart="pie", rows=rows, **fields)


def _kpis(board: Board, honours: Iterable[str], key: str, title: Any, kpis: list[Kpi]) -> Figure:
    """A section's headline numbers: exported as two columns, indicator and value."""
    columns = [
        Column("indicator", _("Indicator")),
        Column("value", pgettext_lazy("dashboard", "Value")),
    ]
    return _figure(board, honours, key=key, title=title, chart="kpi", columns=columns, kpis=kpis)


MONEY = "money"


# --- Funds and claims -----------------------------------------------------------------------


def served_enterprises(board: Board) -> int:
    """Distinct enterprises paid, read from the rows counted for exactly this period kind
    and reach (see refresh.refresh_served): never a sum of overlapping counts."""
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
    return _kpis(
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
    return _figure(
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
    return _figure(
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


def claims_by_state(board: Board) -> Figure:
    return _by_state(
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
    return _figure(
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


# --- Approvals ------------------------------------------------------------------------------


def approvals_kpis(board: Board) -> Figure:
    items = board.tallies("items", WITHOUT_POLICY)
    by_state = board.counts(items, "key")
    approved = sum(by_state.get(state, 0) for state in APPROVED_ITEM_STATES)
    on_commitment = sum(by_state.get(state, 0) for state in ON_COMMITMENT_STATES)
    granted = approved + by_state.get(ItemStatus.REVOKED, 0)
    timing = board.buckets(board.tallies("item_hours", WITHOUT_POLICY)).get(None, [])
    return _kpis(
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
    return _by_state(
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
    return _figure(
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
    return _figure(
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
    return _figure(
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


# --- Credit ---------------------------------------------------------------------------------


def credit_kpis(board: Board) -> Figure:
    commitments = board.counts(board.tallies("commitments", WITHOUT_POLICY), "key")
    inspections = board.counts(board.tallies("inspections", WITHOUT_POLICY), "key")
    drawn = sum(inspections.values())
    done = inspections.get("on_time", 0) + inspections.get("late", 0)
    return _kpis(
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
    return _by_state(
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
    return _figure(
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
    return _figure(
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


# --- Direct line ----------------------------------------------------------------------------


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
    return _kpis(
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
    return _figure(
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
    return _figure(
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


# --- Department data ------------------------------------------------------------------------


def data_kpis(board: Board) -> Figure:
    outcomes = board.counts(board.tallies("data_calls", WITHOUT_POLICY), "key")
    calls = sum(outcomes.values())
    failed = sum(outcomes.get(o, 0) for o in FAILED_CALLS)
    latency = board.buckets(board.tallies("data_call_ms", WITHOUT_POLICY)).get(None, [])
    return _kpis(
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
    return _figure(
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
    return _figure(
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


# --- Pages ----------------------------------------------------------------------------------

FigureBuilder = Callable[[Board], Figure]

# Every figure by its key: the export and the API build only the one asked for.
FIGURES: dict[str, FigureBuilder] = {
    "funds_kpis": funds_kpis,
    "funds_by_month": funds_by_month,
    "funds_by_policy": lambda board: funds_by(board, "policy"),
    "funds_by_department": lambda board: funds_by(board, "department"),
    "funds_by_district": lambda board: funds_by(board, "district"),
    "claims_by_state": claims_by_state,
    "budget_by_policy": budget_by_policy,
    "approvals_kpis": approvals_kpis,
    "items_by_state": items_by_state,
    "items_by_department": items_by_department,
    "approval_hours_by_item_type": approval_hours_by_item_type,
    "items_by_month": items_by_month,
    "credit_kpis": credit_kpis,
    "commitments_by_state": commitments_by_state,
    "grade_distribution": grade_distribution,
    "inspections_by_department": inspections_by_department,
    "requests_kpis": requests_kpis,
    "requests_by_department": lambda board: requests_by(board, "department"),
    "requests_by_district": lambda board: requests_by(board, "district"),
    "requests_by_month": requests_by_month,
    "data_kpis": data_kpis,
    "calls_by_department": calls_by_department,
    "calls_by_month": calls_by_month,
}

SECTIONS: dict[str, tuple[Any, list[str]]] = {
    "funds": (
        _("Funds and claims"),
        [
            "funds_kpis",
            "funds_by_month",
            "funds_by_policy",
            "funds_by_department",
            "funds_by_district",
            "claims_by_state",
            "budget_by_policy",
        ],
    ),
    "approvals": (
        _("Project approvals"),
        [
            "approvals_kpis",
            "items_by_state",
            "items_by_department",
            "approval_hours_by_item_type",
            "items_by_month",
        ],
    ),
    "credit": (
        _("Credit"),
        ["credit_kpis", "commitments_by_state", "grade_distribution", "inspections_by_department"],
    ),
    "requests": (
        _("Enterprise requests"),
        ["requests_kpis", "requests_by_department", "requests_by_district", "requests_by_month"],
    ),
    "data": (_("Department data"), ["data_kpis", "calls_by_department", "calls_by_month"]),
}

# The overview: each section's headline numbers and its most telling charts.
OVERVIEW: dict[str, list[str]] = {
    "funds": ["funds_kpis", "funds_by_month", "claims_by_state"],
    "approvals": ["approvals_kpis", "items_by_department"],
    "credit": ["credit_kpis", "grade_distribution"],
    "requests": ["requests_kpis", "requests_by_department"],
    "data": ["data_kpis", "calls_by_department"],
}


def section(board: Board, key: str) -> Section:
    title, keys = SECTIONS[key]
    return Section(key, str(title), [FIGURES[name](board) for name in keys])


def overview(board: Board) -> list[Section]:
    return [
        Section(key, str(SECTIONS[key][0]), [FIGURES[name](board) for name in keys])
        for key, keys in OVERVIEW.items()
    ]


def figure(board: Board, key: str) -> Figure | None:
    build = FIGURES.get(key)
    return build(board) if build else None


def remembered(board: Board, refresh: Refresh | None, what: str, build: Callable[[], Any]) -> Any:
    """`build()`'s figures, kept in the cache until the next rebuild: the tallies do not
    change between rebuilds, so the second official to open a page gets it without a
    query. The key holds everything the figures depend on — the rebuild, the filters
    asked for and as narrowed by the scope, the language and what is shown."""
    if refresh is None:
        return build()
    rebuild = (refresh.pk, refresh.finished_at.isoformat())
    depends_on = (rebuild, board.requested, board.filters, get_language(), what)
    key = "dashboards:" + hashlib.sha256(repr(depends_on).encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = build()
        cache.set(key, found, timeout=CACHE_SECONDS)
    return found


CACHE_SECONDS = 3600
