"""The forecast broken down: cost and reach of a version by district, industry and size,
against its budget. The totals are what_if()'s (services.py); this says where they fall.
A version paid to persons counts qualifying persons, placed by their employer's district,
industry and size (never a name)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.utils.translation import gettext as _

from departments.models import District
from enterprises.industries import SECTION_BY_CODE
from enterprises.models import Enterprise, SizeClass
from qinqing.i18n import prefers_chinese

from .evaluation import evaluate_all, evaluate_all_persons
from .models import Beneficiary, PolicyVersion
from .services.what_if import claim_periods

CHUNK = 5000


@dataclass
class Share:
    label: str
    reach: int  # qualifying enterprises (persons, for a version paid to persons)
    cost: Decimal  # over every claim period of the window
    percent_of_budget: Decimal


@dataclass
class Dimension:
    key: str
    title: str
    rows: list[Share]


@dataclass
class Breakdown:
    dimensions: list[Dimension]
    reach: int
    cost: Decimal
    budget: Decimal
    beneficiary: str = Beneficiary.ENTERPRISE

    @property
    def left(self) -> Decimal:
        return self.budget - self.cost

    @property
    def within_budget(self) -> bool:
        return self.cost <= self.budget

    @property
    def percent_of_budget(self) -> Decimal:
        return _percent(self.cost, self.budget)


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    if not whole:
        return Decimal("0.0")
    return (part * 100 / whole).quantize(Decimal("0.1"))


def _where(ids: list[int]) -> dict[int, tuple[int | None, str, str]]:
    """Each qualifying enterprise's district, industry section and size, read in chunks."""
    found: dict[int, tuple[int | None, str, str]] = {}
    for begin in range(0, len(ids), CHUNK):
        rows = Enterprise.objects.filter(pk__in=ids[begin : begin + CHUNK]).values_list(
            "pk", "district_id", "industry_section", "size_class"
        )
        found.update({pk: (district, section, size) for pk, district, section, size in rows})
    return found


def forecast_breakdown(version: PolicyVersion) -> Breakdown:
    """Who qualifies and what they cost, per district, industry section and size class, as
    the bulk extracts show the register (SnapshotMissing when absent). For a version paid to
    persons: each qualifying person once, under their employer."""
    periods = claim_periods(version)
    if version.beneficiary == Beneficiary.PERSON:
        persons = evaluate_all_persons(version)
        eligible = persons.eligible
        # One entry per qualifying person: the employer's id, repeated for each.
        ids = persons.employer_ids[eligible].tolist()
        fen = (persons.amount_fen[eligible].astype(np.int64) * periods).tolist()
    else:
        batch = evaluate_all(version)
        eligible = batch.eligible
        ids = batch.enterprise_ids[eligible].tolist()
        fen = (batch.amount_fen[eligible].astype(np.int64) * periods).tolist()
    where = _where(sorted(set(ids)))
    budget = version.budget
    districts = {d.pk: d.name for d in District.objects.all()}
    sizes = dict(SizeClass.choices)
    chinese = prefers_chinese()

    def industry(code: str) -> str:
        section = SECTION_BY_CODE.get(code)
        if section is None:
            return code or _("unknown")
        return f"{code} {section.name_zh if chinese else section.name_en}"

    namers = [
        ("district", _("By district"), lambda item: districts.get(item[0], _("unknown"))),
        ("industry", _("By industry"), lambda item: industry(item[1])),
        ("size", _("By size"), lambda item: str(sizes.get(item[2], item[2] or _("unknown")))),
    ]
    dimensions = []
    for key, title, name in namers:
        reach: dict[str, int] = {}
        cost: dict[str, int] = {}
        for enterprise_id, amount in zip(ids, fen, strict=True):
            label = name(where.get(enterprise_id, (None, "", "")))
            reach[label] = reach.get(label, 0) + 1
            cost[label] = cost.get(label, 0) + int(amount)
        rows = [
            Share(label, reach[label], _yuan(cost[label]), _percent(_yuan(cost[label]), budget))
            for label in sorted(cost, key=lambda label: (-cost[label], label))
        ]
        dimensions.append(Dimension(key, title, rows))
    return Breakdown(dimensions, len(ids), _yuan(sum(fen)), budget, version.beneficiary)


def _yuan(fen: int) -> Decimal:
    return (Decimal(int(fen)) / 100).quantize(Decimal("0.01"))
