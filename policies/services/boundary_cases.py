"""Generated boundary cases: for every threshold of a draft's criteria the values just
below, at and just above it, and one case per value of a yes/no or enumeration fact,
each with the result its operator gives."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from datahub.catalogue import FactType
from qinqing.errors import Refused

from ..models import PolicyTestCase, PolicyVersion, VersionStatus
from ..rules.criteria import leaves

STEP = {FactType.MONEY: Decimal("0.01"), FactType.DECIMAL: Decimal("0.1"),
         FactType.INTEGER: 1, FactType.DATE: timedelta(days=1)}  # fmt: skip


ORACLE = {
    "eq": lambda v, t: v == t, "ne": lambda v, t: v != t, "lt": lambda v, t: v < t,
    "le": lambda v, t: v <= t, "gt": lambda v, t: v > t, "ge": lambda v, t: v >= t,
}  # fmt: skip


@transaction.atomic
def generate_boundary_cases(version: PolicyVersion) -> list[PolicyTestCase]:
    """For every threshold: the value just below, equal and just above, with the expected
    result of that criterion (worked out here from the operator, not by the engine)."""
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != VersionStatus.DRAFT:
        raise Refused(_("Test cases belong to drafts; a published version keeps its own."))
    PolicyTestCase.objects.filter(version=version, generated=True).delete()
    made = []
    on = version.valid_from
    for leaf in leaves(version.rules.criteria):
        made += _choice_cases(version, leaf, on)
        step = STEP.get(leaf.fact.type)
        if step is None or leaf.op not in (*ORACLE, "between"):
            continue
        thresholds = [operand.value_at(on) for operand in leaf.operands]
        for threshold in thresholds:
            # Named by the threshold itself ("10 − 1"), not by its position in the rule.
            shown, by = _threshold_text(threshold), _threshold_text(step)
            for label, value in ((f"{shown} − {by}", threshold - step), (f"= {shown}", threshold),
                                 (f"{shown} + {by}", threshold + step)):  # fmt: skip
                if leaf.op == "between":
                    low_ok = value >= thresholds[0] if leaf.inclusive[0] else value > thresholds[0]
                    high_ok = value <= thresholds[1] if leaf.inclusive[1] else value < thresholds[1]
                    expected = low_ok and high_ok
                else:
                    expected = ORACLE[leaf.op](value, threshold)
                raw = value.isoformat() if isinstance(value, date) else str(value)
                made.append(PolicyTestCase(
                    version=version, generated=True, expected_status="",
                    name=f"{leaf.id}: {leaf.fact.name} at threshold {label}",
                    facts={leaf.fact.name: raw}, expected_criteria={leaf.id: expected},
                ))  # fmt: skip
    return PolicyTestCase.objects.bulk_create(made)


def _threshold_text(value: Any) -> str:
    """A threshold or step as the rule states it: 10, 500000.00, 2026-01-01, 1 day."""
    if isinstance(value, timedelta):
        return f"{value.days} d"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _choice_cases(version: PolicyVersion, leaf, on: date) -> list[PolicyTestCase]:
    """Enumerations and yes/no facts: one case per possible value."""
    if leaf.fact.type is FactType.ENUM and leaf.op in ("eq", "ne", "in", "not_in"):
        values: list = list(leaf.fact.choices[:12])
    elif leaf.fact.type is FactType.BOOLEAN and leaf.op in ("eq", "ne", "is_true", "is_false"):
        values = [True, False]
    else:
        return []
    listed = [operand.value_at(on) for operand in leaf.operands]
    cases = []
    for value in values:
        expected = {
            "eq": value == (listed[0] if listed else None), "ne": value != (listed[0] if listed
                                                                          else None),
            "in": value in listed, "not_in": value not in listed,
            "is_true": value is True, "is_false": value is False,
        }[leaf.op]  # fmt: skip
        cases.append(PolicyTestCase(
            version=version, generated=True, expected_status="",
            name=f"{leaf.id}: {leaf.fact.name} = {value}",
            facts={leaf.fact.name: value}, expected_criteria={leaf.id: expected},
        ))  # fmt: skip
    return cases
