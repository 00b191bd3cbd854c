"""The public credit platform's interface to the data hub: credit.grade, credit.red_list and
credit.black_list come from this app's tables, answered in the department's wire format
(the National Development and Reform Commission's "credit.public_credit"). Registered in
CreditConfig.ready(); the hub never imports credit.
"""

from __future__ import annotations

from datetime import date

import numpy as np
from django.db.models import Q, QuerySet
from django.db.transaction import on_commit

from datahub.catalogue import CATALOGUE
from datahub.fetching.caching import forget_facts
from datahub.providers import NoLocalRecord
from datahub.signals import send_facts_changed
from enterprises.models import Enterprise
from qinqing.bulk import any_of
from qinqing.iterables import chunked

from .grades.models import CreditGrade
from .grades.scoring import grade_for
from .grades.selectors import scoring_model_in_force
from .lists.models import EntryStatus, ListEntry, ListKind

INTERFACE = "credit.public_credit"
FACTS = ["credit.grade", "credit.red_list", "credit.black_list"]
WIRE = {name: CATALOGUE[name].wire_field for name in FACTS}


def _flag(value: bool) -> str:
    return "Y" if value else "N"


def _listed(enterprise_filter: Q, as_of: date) -> QuerySet[ListEntry]:
    return ListEntry.objects.filter(enterprise_filter, status=EntryStatus.CURRENT,
                                    valid_from__lte=as_of, valid_until__gte=as_of)  # fmt: skip


def answer(uscc: str, wire_fields: list[str], as_of: date) -> dict[str, str]:
    """One enterprise's grade and list flags as the platform writes them ("B", "Y"/"N")."""
    enterprise_id = Enterprise.objects.filter(uscc=uscc).values_list("pk", flat=True).first()
    if enterprise_id is None:
        raise NoLocalRecord(uscc)
    values: dict[str, str] = {}
    if WIRE["credit.grade"] in wire_fields:
        grade = CreditGrade.objects.filter(enterprise_id=enterprise_id).values_list(
            "grade", flat=True).first()  # fmt: skip
        if grade is None:
            model = scoring_model_in_force(as_of)
            grade = grade_for(model.base_score, model.thresholds)
        values[WIRE["credit.grade"]] = grade
    if {WIRE["credit.red_list"], WIRE["credit.black_list"]} & set(wire_fields):
        kinds = set(_listed(Q(enterprise_id=enterprise_id), as_of)
                    .values_list("list_kind", flat=True))  # fmt: skip
        values[WIRE["credit.red_list"]] = _flag(ListKind.RED in kinds)
        values[WIRE["credit.black_list"]] = _flag(ListKind.BLACK in kinds)
    return {field: values[field] for field in wire_fields if field in values}


def extract(
    enterprise_ids: np.ndarray, fact_names: list[str], as_of: date
) -> dict[str, np.ndarray]:
    """Every enterprise's credit facts at once, aligned with `enterprise_ids` (sorted)."""
    columns: dict[str, np.ndarray] = {}
    if "credit.grade" in fact_names:
        model = scoring_model_in_force(as_of)
        grades = np.full(len(enterprise_ids), grade_for(model.base_score, model.thresholds),
                         dtype="<U1")  # fmt: skip
        rows = CreditGrade.objects.order_by().values_list("enterprise_id", "grade")
        stored = list(rows)
        if stored:
            ids = np.fromiter((row[0] for row in stored), dtype=np.int64, count=len(stored))
            letters = np.array([row[1] for row in stored], dtype="<U1")
            at = np.searchsorted(enterprise_ids, ids)
            known = (at < len(enterprise_ids)) & (
                enterprise_ids[np.minimum(at, len(enterprise_ids) - 1)] == ids
            )
            grades[at[known]] = letters[known]
        columns["credit.grade"] = grades
    for name, kind in (("credit.red_list", ListKind.RED), ("credit.black_list", ListKind.BLACK)):
        if name not in fact_names:
            continue
        listed = np.fromiter(_listed(Q(list_kind=kind), as_of).values_list(
            "enterprise_id", flat=True), dtype=np.int64)  # fmt: skip
        columns[name] = np.isin(enterprise_ids, listed)
    return columns


def forget_cached_facts(enterprise_ids: list[int], facts: list[str] | None = None) -> None:
    """After the transaction that changed these enterprises' credit commits, the hub's
    cached credit facts about them (all three, or those named) are dropped: a black
    listing takes effect at once; and the apps above the hub hear of it
    (datahub.signals.facts_changed, cause "credit": subsidies re-evaluates)."""
    if not enterprise_ids:
        return
    ids = list(enterprise_ids)
    names = facts or FACTS

    def forget() -> None:
        for chunk in chunked(ids, 20_000):
            chosen = Enterprise.objects.filter(any_of("pk", chunk))
            usccs = list(chosen.values_list("uscc", flat=True))
            forget_facts(usccs, names)
        send_facts_changed(ids, list(names), "credit")

    on_commit(forget, robust=True)
