"""The board every figure is built on: the filters narrowed to the viewer's scope, the
names of things, the tallies it reads; and the helpers that shape a figure."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from approvals.models import ItemType
from departments.models import Department, District
from policies.models import Policy
from qinqing.money import yuan

from ..figures import Column, Figure, Kpi
from ..models import Tally
from ..scope import Filters, Scope

ALL_FILTERS = ("period", "district", "department", "policy", "industry")
WITHOUT_POLICY = ("period", "district", "department", "industry")
WITHOUT_PERIOD = ("district", "department", "policy", "industry")


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


def new_figure(board: Board, honours: Iterable[str], **fields: Any) -> Figure:
    return Figure(ignores=board.ignored(honours), **fields)


def figure_by_state(
    board: Board, subject: str, honours: Iterable[str], choices: list, **fields: Any
) -> Figure:
    """A pie of how many of `subject` are in each state, in the states' own order."""
    counts = board.counts(board.tallies(subject, honours), "key")
    labels = dict(choices)
    rows = [[str(labels[state]), counts[state]] for state in labels if counts.get(state)]
    return new_figure(board, honours, chart="pie", rows=rows, **fields)


def kpi_figure(
    board: Board, honours: Iterable[str], key: str, title: Any, kpis: list[Kpi]
) -> Figure:
    """A section's headline numbers: exported as two columns, indicator and value."""
    columns = [
        Column("indicator", _("Indicator")),
        Column("value", pgettext_lazy("dashboard", "Value")),
    ]
    return new_figure(board, honours, key=key, title=title, chart="kpi", columns=columns, kpis=kpis)


MONEY = "money"
