"""Where a benefit formula pays nothing: probed at its conditions' boundary values, its
tiers' edges and the test cases, before a version may be published."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from datahub.catalogue import FactType

from ..engine import benefit_amount, evaluate
from ..models import Beneficiary, PolicyVersion
from ..rules.criteria import leaves
from ..rules.formulas import formula_facts
from .boundary_cases import ORACLE, STEP
from .test_cases import case_facts


def _formula_probes(version: PolicyVersion, on: date, limit: int = 2000) -> list[dict[str, Any]]:
    """Facts at which the benefit formula is worth trying: for every fact it reads, the
    boundary values of the conditions on that fact (just below, at and just above each
    threshold, as the boundary cases) and the edges of its tiers, none below zero; with
    no such value, the fact is left unknown. At most `limit` combinations."""
    rules = version.rules
    candidates: dict[str, list[Any]] = {}
    for spec in formula_facts(rules.benefit):
        step = STEP.get(spec.type)
        values: list[Any] = []
        for leaf in leaves(rules.criteria):
            if step is None or leaf.fact.name != spec.name or leaf.op not in (*ORACLE, "between"):
                continue
            for operand in leaf.operands:
                threshold = operand.value_at(on)
                values += [threshold - step, threshold, threshold + step]
        for low, high, _amount in _tiers_of(rules.benefit, spec.name):
            values += [low, low - step] if step is not None else [low]
            if high is not None:
                values += [high, high - step] if step is not None else [high]
        # Not below zero: the catalogue's numbers are amounts, counts and areas, and a
        # band that starts at zero covers every enterprise.
        values = [value for value in values if value >= 0]
        if spec.type is FactType.ENUM:  # chosen by (choose): every value of the list
            values = list(spec.choices)
        candidates[spec.name] = list(dict.fromkeys(values)) or [None]
    probes = []
    for combination in itertools.islice(itertools.product(*candidates.values()), limit):
        probes.append(dict(zip(candidates, combination, strict=True)))
    return probes


def _tiers_of(expr, fact_name: str) -> list:
    found = list(expr.tiers) if expr.kind == "tiers" and expr.fact.name == fact_name else []
    for child in expr.children:
        found += _tiers_of(child, fact_name)
    for _low, _high, amount in expr.tiers:
        found += _tiers_of(amount, fact_name)
    for _value, amount in expr.cases:
        found += _tiers_of(amount, fact_name)
    if expr.otherwise is not None:
        found += _tiers_of(expr.otherwise, fact_name)
    return found


def nothing_due_problems(version: PolicyVersion, on: date | None = None) -> list[str]:
    """Where the formula gives an enterprise that may be eligible nothing (zero or less):
    at the boundary values of its conditions (and its tiers' edges) and on every test
    case. Money never rounds to nothing: such a version is not published."""
    rules = version.rules
    on = on or version.valid_from
    tried = [(None, probe) for probe in _formula_probes(version, on)]
    for case in version.test_cases.all():
        try:
            tried.append((case.name, case_facts(case.facts, version.beneficiary)))
        except ValueError:
            continue  # reported by the test cases' own run
    problems = []
    for case_name, facts in tried:
        outcome = evaluate(rules, facts, on, cap=version.per_enterprise_cap)
        if outcome.status == "ineligible":
            continue
        amount = benefit_amount(rules, facts, on, version.per_enterprise_cap)
        if amount is None or amount > 0:
            continue
        shown = ", ".join(f"{name} = {value}" for name, value in facts.items()
                          if value is not None) or _("any facts")  # fmt: skip
        where = (_("test case “%(name)s”") % {"name": case_name}) if case_name else shown
        if version.beneficiary == Beneficiary.PERSON:
            message = _("The benefit formula gives ¥%(amount)s to a person who may be "
                        "eligible (%(where)s): nothing would be paid. Change the formula, or "
                        "add a condition that excludes such persons.")  # fmt: skip
        else:
            message = _("The benefit formula gives ¥%(amount)s to an enterprise that may be "
                        "eligible (%(where)s): nothing would be paid. Change the formula, or "
                        "add a condition that excludes such enterprises.")  # fmt: skip
        problems.append(message % {"amount": amount, "where": where})
        if len(problems) >= 3:
            break
    return problems
