"""The figures by key, grouped into sections and the overview, and kept in the cache until
the next rebuild."""

import hashlib
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ..figures import Figure, Section
from ..models import Refresh
from .approvals import (
    approval_hours_by_item_type,
    approvals_kpis,
    items_by_department,
    items_by_month,
    items_by_state,
)
from .board import Board
from .credit import commitments_by_state, credit_kpis, grade_distribution, inspections_by_department
from .department_data import calls_by_department, calls_by_month, data_kpis
from .funds import (
    budget_by_policy,
    claims_by_state,
    funds_by,
    funds_by_month,
    funds_kpis,
    persons_paid_by,
)
from .recovery import recovery_by, recovery_kpis
from .requests import (
    requests_by,
    requests_by_department_and_district,
    requests_by_month,
    requests_kpis,
)

FigureBuilder = Callable[[Board], Figure]
# Every figure by its key: the export and the API build only the one asked for.
FIGURES: dict[str, FigureBuilder] = {
    "funds_kpis": funds_kpis,
    "funds_by_month": funds_by_month,
    "funds_by_policy": lambda board: funds_by(board, "policy"),
    "funds_by_department": lambda board: funds_by(board, "department"),
    "funds_by_district": lambda board: funds_by(board, "district"),
    "claims_by_state": claims_by_state,
    "persons_paid_by_district": lambda board: persons_paid_by(board, "district"),
    "persons_paid_by_industry": lambda board: persons_paid_by(board, "industry"),
    "persons_paid_by_size": lambda board: persons_paid_by(board, "size"),
    "budget_by_policy": budget_by_policy,
    "recovery_kpis": recovery_kpis,
    "recovery_by_department": lambda board: recovery_by(board, "department"),
    "recovery_by_district": lambda board: recovery_by(board, "district"),
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
    "requests_by_department_and_district": requests_by_department_and_district,
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
            "persons_paid_by_district",
            "persons_paid_by_industry",
            "persons_paid_by_size",
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
        [
            "requests_kpis",
            "requests_by_department",
            "requests_by_district",
            "requests_by_department_and_district",
            "requests_by_month",
        ],
    ),
    "data": (_("Department data"), ["data_kpis", "calls_by_department", "calls_by_month"]),
    "recovery": (
        _("Recovery of undue payments"),
        ["recovery_kpis", "recovery_by_department", "recovery_by_district"],
    ),
}
# The overview: each section's headline numbers and its most telling charts.
OVERVIEW: dict[str, list[str]] = {
    "funds": ["funds_kpis", "funds_by_month", "claims_by_state"],
    "approvals": ["approvals_kpis", "items_by_department"],
    "credit": ["credit_kpis", "grade_distribution"],
    "requests": ["requests_kpis", "requests_by_department"],
    "data": ["data_kpis", "calls_by_department"],
    "recovery": ["recovery_kpis"],
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
