"""Writing policies: drafts, test cases, what-if, four-eyes publication, scheduling.

Every status change goes through `qinqing.transitions.move` (the table is
`PolicyVersion.transitions`): row locked, allowed transition checked, audit event written,
one transaction. Refusals are `qinqing.errors`: a page shows them, the API answers them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from datahub.catalogue import FactType
from datahub.extracts.reading import SnapshotMissing
from datahub.normalise import normalise
from qinqing.audit.services import record_change, record_event, snapshot
from qinqing.errors import Invalid, NotAllowed, Refused
from qinqing.scoping import is_active_user, official_covers
from qinqing.transitions import move

from .engine import benefit_amount, evaluate
from .evaluation import evaluate_all, evaluate_all_persons
from .models import Beneficiary, Policy, PolicyTestCase, PolicyVersion, VersionStatus
from .rules import RuleError, fact_spec, formula_facts, is_person_fact, leaves
from .signals import version_published

DRAFT_FIELDS = ["beneficiary", "valid_from", "valid_until", "criteria", "benefit", "parameters",
                "rounding", "budget", "per_enterprise_cap", "claim_period", "notes"]  # fmt: skip


class PublicationBlocked(Refused):
    """Publication refused: the reasons are for the officials to fix (each one shown)."""

    code = "publication_blocked"

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("; ".join(reasons), fields={"publication": reasons})


def require_department_official(actor: User, policy: Policy) -> None:
    """Any official of the issuing department (a policy covers the whole city, so their
    district does not matter), or an administrator; nobody inactive."""
    if is_active_user(actor) and actor.is_superuser:
        return
    if not official_covers(actor, department_id=policy.department_id,
                           district_id=getattr(actor, "district_id", None)):  # fmt: skip
        raise NotAllowed(_("Only officials of the issuing department may do this."))


def _reason_missing(message: str) -> Refused:
    return Refused(message, fields={"reason": [message]})


def _move(version: PolicyVersion, to: str, actor: User | None, **changes: Any) -> PolicyVersion:
    """Lock the version, then the one transition mechanism (audit `policy_version.<to>`)."""
    locked = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    return move(locked, to, actor=actor, **changes)


@transaction.atomic
def create_draft(*, policy: Policy, actor: User, **fields: Any) -> PolicyVersion:
    require_department_official(actor, policy)
    Policy.objects.select_for_update().get(pk=policy.pk)  # one number per version, even racing
    number = (policy.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    version = PolicyVersion(policy=policy, number=number, drafted_by=actor,
                            **{k: v for k, v in fields.items() if k in DRAFT_FIELDS})  # fmt: skip
    version.full_clean()
    refuse_negative_amounts(version.benefit)
    version.save()
    version.contributors.add(actor)
    record_event(actor=actor, action="policy_version.drafted", obj=version,
                 after=snapshot(version, DRAFT_FIELDS))  # fmt: skip
    return version


POLICY_FIELDS = ["code", "title_zh", "title_en", "summary_zh", "summary_en", "legal_basis_zh",
                 "legal_basis_en", "benefit_type", "delivery_mode",
                 "target_industry_sections"]  # fmt: skip


@transaction.atomic
def create_policy(*, actor: User, department: Any, target_districts: Any = (),
                  version: dict[str, Any], **fields: Any) -> PolicyVersion:  # fmt: skip
    """A new policy of the actor's department with its first draft version, together: a
    policy without a version could never be published, and one without the other is not
    left behind. Returns the draft (its rules checked like any draft's)."""
    policy = Policy(department=department, **{k: v for k, v in fields.items()
                                                if k in POLICY_FIELDS})  # fmt: skip
    require_department_official(actor, policy)
    policy.full_clean()
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError:  # the same code taken meanwhile
        raise ValidationError({"code": [_("A policy with this code exists already.")]}) from None
    policy.target_districts.set(list(target_districts))
    record_event(actor=actor, action="policy.created", obj=policy,
                 after={**snapshot(policy, POLICY_FIELDS),
                        "target_districts": sorted(d.pk for d in target_districts)})  # fmt: skip
    return create_draft(policy=policy, actor=actor, **version)


@transaction.atomic
def update_draft(version: PolicyVersion, *, actor: User, **fields: Any) -> PolicyVersion:
    require_department_official(actor, version.policy)
    locked = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    if locked.status != VersionStatus.DRAFT:
        raise Refused(_("Only a draft can be changed; make a new version instead."))
    raw_before = snapshot(locked, DRAFT_FIELDS, masked=False)
    for name, value in fields.items():
        if name in DRAFT_FIELDS:
            setattr(locked, name, value)
    locked.full_clean()
    refuse_negative_amounts(locked.benefit)
    locked.save()
    locked.contributors.add(actor)
    record_change(actor=actor, action="policy_version.edited", obj=locked, raw_before=raw_before)
    return locked


def negative_amounts(raw: Any, path: str = "benefit") -> list[str]:
    """The paths of the fixed amounts below zero in a benefit formula (as drafted, JSON).
    A subsidy pays money to an enterprise: a negative amount written into the formula is
    a slip, never a rule (a deduction is written with `sub`)."""
    found: list[str] = []
    if isinstance(raw, dict):
        for key, body in raw.items():
            if key == "amount" and not isinstance(body, dict | list):
                try:
                    if Decimal(str(body)) < 0:
                        found.append(f"{path}.amount")
                except ArithmeticError:
                    pass  # not a number: the rules' own parser says so
            elif key == "bands" and isinstance(body, list):
                for index, band in enumerate(body):
                    if isinstance(band, dict):
                        found += negative_amounts(band.get("amount"),
                                                  f"{path}.bands[{index}].amount")  # fmt: skip
            else:
                found += negative_amounts(body, f"{path}.{key}")
    elif isinstance(raw, list):
        for index, item in enumerate(raw):
            found += negative_amounts(item, f"{path}[{index}]")
    return found


def refuse_negative_amounts(benefit: Any) -> None:
    """Refused like the model's own checks (a ValidationError on `benefit`): the page
    places it on the field, the API answers 400 with the field."""
    paths = negative_amounts(benefit)
    if paths:
        raise ValidationError({"benefit": [
            _("%(path)s: a fixed amount may not be below zero (a subsidy never takes money "
              "from an enterprise).") % {"path": path}
            for path in paths
        ]})  # fmt: skip


# --- Test cases -------------------------------------------------------------------------------


def case_facts(raw: Any, beneficiary: str = Beneficiary.ENTERPRISE) -> dict[str, Any]:
    """A test case's facts, typed as the hub would deliver them; ValueError names the problem.
    A version paid to persons takes the person's facts and the employer's together."""
    if not isinstance(raw, dict) or not raw:
        raise ValueError("facts must be an object of fact names and values")
    facts = {}
    for name, value in raw.items():
        spec = fact_spec(name) if isinstance(name, str) else None
        if spec is None:
            raise ValueError(f"unknown fact {name!r}")
        if is_person_fact(name) and beneficiary != Beneficiary.PERSON:
            raise ValueError(f"{name} is a fact about a person: only a version paid to "
                             "persons may use it")  # fmt: skip
        facts[name] = None if value is None else normalise(spec, value)
    return facts


def validate_test_case(*, facts: Any, expected_status: str, expected_criteria: Any,
                       beneficiary: str = Beneficiary.ENTERPRISE) -> None:  # fmt: skip
    """Refuse a test case that could never run, with the part that is wrong."""
    errors: dict[str, list[str]] = {}
    try:
        case_facts(facts, beneficiary)
    except ValueError as error:
        errors["facts"] = [str(error)]
    if expected_status not in ("", "eligible", "ineligible", "unknown"):
        errors["expected_status"] = ["eligible, ineligible, unknown or empty"]
    if not isinstance(expected_criteria, dict) or not all(
        isinstance(key, str) and value in (True, False, None)
        for key, value in expected_criteria.items()
    ):
        errors["expected_criteria"] = ["an object of criterion ids and true, false or null"]
    if errors:
        raise Invalid(fields=errors)


@transaction.atomic
def add_test_case(version: PolicyVersion, *, actor: User, name: str, facts: Any,
                  expected_status: str = "", expected_criteria: Any = None,
                  expected_amount: Decimal | None = None) -> PolicyTestCase:  # fmt: skip
    require_department_official(actor, version.policy)
    locked = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    if locked.status != VersionStatus.DRAFT:
        raise Refused(_("Test cases are added to drafts."))
    expected_criteria = {} if expected_criteria is None else expected_criteria
    validate_test_case(facts=facts, expected_status=expected_status,
                       expected_criteria=expected_criteria,
                       beneficiary=locked.beneficiary)  # fmt: skip
    case = PolicyTestCase.objects.create(
        version=locked, name=name, facts=facts, expected_status=expected_status,
        expected_criteria=expected_criteria, expected_amount=expected_amount,
    )  # fmt: skip
    record_event(actor=actor, action="policy_version.test_case_added", obj=locked,
                 after={"test_case": case.pk, "name": name})  # fmt: skip
    return case


def _draft_case(case: PolicyTestCase, actor: User) -> tuple[PolicyVersion, PolicyTestCase]:
    """Lock the case's version; its cases change only while it is a draft."""
    require_department_official(actor, case.version.policy)
    locked = PolicyVersion.objects.select_for_update().get(pk=case.version_id)
    if locked.status != VersionStatus.DRAFT:
        raise Refused(_("Test cases belong to drafts; a version that left the draft keeps "
                        "its own."))  # fmt: skip
    return locked, PolicyTestCase.objects.select_for_update().get(pk=case.pk)


@transaction.atomic
def update_test_case(case: PolicyTestCase, *, actor: User, name: str, facts: Any,
                     expected_status: str = "", expected_criteria: Any = None,
                     expected_amount: Decimal | None = None) -> PolicyTestCase:  # fmt: skip
    """Correct a case; a generated case that is edited becomes the department's own (so
    generating the boundary cases again no longer replaces it)."""
    locked, case = _draft_case(case, actor)
    expected_criteria = {} if expected_criteria is None else expected_criteria
    validate_test_case(facts=facts, expected_status=expected_status,
                       expected_criteria=expected_criteria,
                       beneficiary=locked.beneficiary)  # fmt: skip
    before = snapshot(case, ["name", "facts", "expected_status", "expected_criteria",
                             "expected_amount"])  # fmt: skip
    case.name, case.facts, case.expected_status = name, facts, expected_status
    case.expected_criteria, case.expected_amount = expected_criteria, expected_amount
    case.generated = False
    case.save()
    record_event(actor=actor, action="policy_version.test_case_edited", obj=locked,
                 before={"test_case": case.pk, **before},
                 after={"test_case": case.pk, "name": name})  # fmt: skip
    return case


@transaction.atomic
def delete_test_case(case: PolicyTestCase, *, actor: User) -> None:
    """A wrong case goes, while the version is a draft (it would block publication)."""
    locked, case = _draft_case(case, actor)
    record_event(actor=actor, action="policy_version.test_case_deleted", obj=locked,
                 before={"test_case": case.pk, "name": case.name, "facts": case.facts})  # fmt: skip
    case.delete()


@dataclass
class TestCaseResult:
    case: PolicyTestCase
    passed: bool
    problems: list[str]


def run_test_cases(version: PolicyVersion, on: date | None = None) -> list[TestCaseResult]:
    rules = version.rules
    on = on or version.valid_from
    results = []
    for case in version.test_cases.all():
        try:
            facts = case_facts(case.facts, version.beneficiary)
            outcome = evaluate(rules, facts, on, cap=version.per_enterprise_cap)
        except (ValueError, RuleError) as error:  # a case stored before validation existed
            results.append(TestCaseResult(case, False, [f"cannot run: {error}"]))
            continue
        problems = []
        if case.expected_status and outcome.status != case.expected_status:
            problems.append(f"expected {case.expected_status}, got {outcome.status}")
        by_id = {criterion.id: criterion.result for criterion in outcome.criteria}
        for criterion_id, expected in case.expected_criteria.items():
            if by_id.get(criterion_id) != expected:
                problems.append(
                    f"{criterion_id}: expected {expected}, got {by_id.get(criterion_id)}"
                )
        if case.expected_amount is not None and outcome.amount != case.expected_amount:
            problems.append(f"amount: expected {case.expected_amount}, got {outcome.amount}")
        results.append(TestCaseResult(case, not problems, problems))
    return results


_STEP = {FactType.MONEY: Decimal("0.01"), FactType.DECIMAL: Decimal("0.1"),
         FactType.INTEGER: 1, FactType.DATE: timedelta(days=1)}  # fmt: skip
_ORACLE = {
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
        step = _STEP.get(leaf.fact.type)
        if step is None or leaf.op not in (*_ORACLE, "between"):
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
                    expected = _ORACLE[leaf.op](value, threshold)
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


def _formula_probes(version: PolicyVersion, on: date, limit: int = 2000) -> list[dict[str, Any]]:
    """Facts at which the benefit formula is worth trying: for every fact it reads, the
    boundary values of the conditions on that fact (just below, at and just above each
    threshold, as the boundary cases) and the edges of its tiers, none below zero; with
    no such value, the fact is left unknown. At most `limit` combinations."""
    rules = version.rules
    candidates: dict[str, list[Any]] = {}
    for spec in formula_facts(rules.benefit):
        step = _STEP.get(spec.type)
        values: list[Any] = []
        for leaf in leaves(rules.criteria):
            if step is None or leaf.fact.name != spec.name or leaf.op not in (*_ORACLE, "between"):
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


# --- What-if ----------------------------------------------------------------------------------


@dataclass
class WhatIf:
    enterprises: int
    eligible: int
    unknown: int
    periods: int  # claim periods in the window; the cost counts every one
    total_cost: Decimal
    budget: Decimal
    gainers: int | None  # eligible now, not under the published version
    losers: int | None
    nothing_due: int = 0  # eligible, and the formula gives them nothing (zero or less)
    # A version paid to persons: `eligible`, `unknown`, gainers and losers count persons;
    # `persons` is how many were decided, `enterprises` how many employers they have.
    beneficiary: str = Beneficiary.ENTERPRISE
    persons: int | None = None

    @property
    def within_budget(self) -> bool:
        return self.total_cost <= self.budget


def claim_periods(version: PolicyVersion) -> int:
    """How many times an enterprise may claim within the validity window."""
    start, end = version.valid_from, version.valid_until
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    return {
        "once": 1,
        "yearly": end.year - start.year + 1,
        "quarterly": (end.year * 4 + (end.month - 1) // 3)
        - (start.year * 4 + (start.month - 1) // 3)
        + 1,
        "monthly": months,
    }[version.claim_period]


def _persons_what_if(version: PolicyVersion) -> WhatIf:
    """what_if() of a version paid to persons: every person from the person extracts."""
    batch = evaluate_all_persons(version)
    eligible = batch.eligible
    status = batch.status()
    current = (
        version.policy.versions.filter(status=VersionStatus.PUBLISHED,
                                       beneficiary=Beneficiary.PERSON)
        .exclude(pk=version.pk)
        .first()
    )  # fmt: skip
    gainers = losers = None
    if current is not None:
        before = evaluate_all_persons(current)
        was = set(before.person_ids[before.eligible].tolist())
        now = set(batch.person_ids[eligible].tolist())
        gainers, losers = len(now - was), len(was - now)
    periods = claim_periods(version)
    kept = status != "duplicate"
    employers = batch.employer_ids[kept & (batch.employer_ids >= 0)]
    return WhatIf(
        enterprises=len(np.unique(employers)), eligible=int(eligible.sum()),
        unknown=int((status == "unknown").sum()), periods=periods,
        total_cost=(Decimal(int(batch.amount_fen.sum()) * periods) / 100).quantize(
            Decimal("0.01")),
        budget=version.budget, gainers=gainers, losers=losers,
        nothing_due=int((eligible & (batch.outcome.amount_fen <= 0)).sum()),
        beneficiary=Beneficiary.PERSON, persons=int(kept.sum()),
    )  # fmt: skip


def what_if(version: PolicyVersion) -> WhatIf:
    """Over every enterprise, from the bulk extracts: who qualifies, at what total cost over
    every claim period of the window, and who gains or loses against the version in force.
    A version paid to persons: over every person (and their employers)."""
    if version.beneficiary == Beneficiary.PERSON:
        return _persons_what_if(version)
    batch = evaluate_all(version)
    eligible = batch.eligible
    status = batch.status()
    current = (
        version.policy.versions.filter(status=VersionStatus.PUBLISHED,
                                       beneficiary=Beneficiary.ENTERPRISE)
        .exclude(pk=version.pk)
        .first()
    )  # fmt: skip
    gainers = losers = None
    if current is not None:
        before = evaluate_all(current)
        common = np.intersect1d(batch.enterprise_ids, before.enterprise_ids)
        now_ok = eligible[np.isin(batch.enterprise_ids, common)]
        was_ok = before.eligible[np.isin(before.enterprise_ids, common)]
        gainers, losers = int((now_ok & ~was_ok).sum()), int((~now_ok & was_ok).sum())
    return WhatIf(
        enterprises=len(batch.enterprise_ids), eligible=int(eligible.sum()),
        unknown=int((status == "unknown").sum()),
        periods=claim_periods(version),
        total_cost=(Decimal(int(batch.amount_fen.sum()) * claim_periods(version)) / 100).quantize(
            Decimal("0.01")
        ),
        budget=version.budget,
        gainers=gainers, losers=losers,
        nothing_due=int((eligible & (batch.outcome.amount_fen <= 0)).sum()),
    )  # fmt: skip


# --- Submission and four-eyes publication ---------------------------------------------------


@transaction.atomic
def submit_for_approval(version: PolicyVersion, *, actor: User) -> PolicyVersion:
    require_department_official(actor, version.policy)
    return _move(version, VersionStatus.AWAITING_APPROVAL, actor, submitted_by=actor,
                 submitted_at=timezone.now())  # fmt: skip


@transaction.atomic
def send_back(version: PolicyVersion, *, actor: User, reason: str) -> PolicyVersion:
    require_department_official(actor, version.policy)
    if not reason.strip():
        raise _reason_missing(_("Say why the version goes back to its author."))
    moved = _move(version, VersionStatus.DRAFT, actor, submitted_by=None, submitted_at=None)
    record_event(actor=actor, action="policy_version.sent_back", obj=moved,
                 after={"reason": reason.strip()[:500]})  # fmt: skip
    return moved


def publication_problems(version: PolicyVersion) -> list[str]:
    problems = [
        f"test case “{result.case.name}” fails: {'; '.join(result.problems)}"
        for result in run_test_cases(version) if not result.passed
    ]  # fmt: skip
    if not version.test_cases.exists():
        problems.append(_("No test cases: add some, or generate the boundary cases."))
    problems += nothing_due_problems(version)
    try:
        forecast = what_if(version)
    except SnapshotMissing as error:
        problems.append(_("The cost cannot be forecast: %(why)s. Refresh the extracts first.")
                        % {"why": error})  # fmt: skip
    else:
        if not forecast.within_budget:
            problems.append(_("The forecast cost %(cost)s exceeds the budget %(budget)s.")
                            % {"cost": forecast.total_cost, "budget": forecast.budget})  # fmt: skip
        if forecast.nothing_due and version.beneficiary == Beneficiary.PERSON:
            problems.append(
                _("The forecast finds %(count)d eligible persons to whom the formula gives "
                  "nothing (¥0.00 or less).") % {"count": forecast.nothing_due}
            )  # fmt: skip
        elif forecast.nothing_due:
            problems.append(
                _("The forecast finds %(count)d eligible enterprises to whom the formula gives "
                  "nothing (¥0.00 or less).") % {"count": forecast.nothing_due}
            )  # fmt: skip
    return problems


@transaction.atomic
def approve(version: PolicyVersion, *, actor: User, publish_at: datetime | None = None):
    """A second official of the department approves; tests and budget must pass."""
    require_department_official(actor, version.policy)
    # Lock the policy first: two approvals of the same policy must not race to publish.
    Policy.objects.select_for_update().get(pk=version.policy_id)
    locked = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    if (
        actor.pk in (locked.submitted_by_id, locked.drafted_by_id)
        or locked.contributors.filter(pk=actor.pk).exists()
    ):
        raise NotAllowed(
            _("Four eyes: nobody who drafted, edited or submitted a version may approve it.")
        )
    problems = publication_problems(locked)
    if problems:
        raise PublicationBlocked(problems)
    if publish_at is None and locked.valid_from > timezone.localdate():
        # Publishing next year's version now would end this year's: it waits for its start.
        publish_at = timezone.make_aware(datetime.combine(locked.valid_from, datetime.min.time()))
    if publish_at is not None and publish_at > timezone.now():
        return _move(locked, VersionStatus.SCHEDULED, actor, approved_by=actor,
                     publish_at=publish_at)  # fmt: skip
    return _publish(locked, actor, approved_by=actor)


def _publish(version: PolicyVersion, actor: User | None, **changes: Any) -> PolicyVersion:
    for current in PolicyVersion.objects.select_for_update().filter(
        policy=version.policy, status=VersionStatus.PUBLISHED
    ):
        _move(current, VersionStatus.SUPERSEDED, actor)
    published = _move(version, VersionStatus.PUBLISHED, actor, published_at=timezone.now(),
                      **changes)  # fmt: skip
    # "Enjoy without applying" starts from here, in the subsidies app, once this commits.
    # Robust: the version stays published whatever a receiver meets. With the broker down
    # the batch job is not queued; Django logs the failure (a known gap: no sweep yet).
    transaction.on_commit(
        lambda: version_published.send(sender=PolicyVersion, version=published), robust=True
    )
    return published


@transaction.atomic
def withdraw(version: PolicyVersion, *, actor: User, reason: str) -> PolicyVersion:
    require_department_official(actor, version.policy)
    if not reason.strip():
        raise _reason_missing(_("Say why the policy is withdrawn."))
    moved = _move(version, VersionStatus.WITHDRAWN, actor)
    record_event(actor=actor, action="policy_version.withdraw_reason", obj=moved,
                 after={"reason": reason.strip()[:500]})  # fmt: skip
    return moved


def publish_due(now: datetime | None = None) -> list[PolicyVersion]:
    """Beat: publish the scheduled versions whose time has come (idempotent)."""
    now = now or timezone.now()
    published = []
    for version_id in PolicyVersion.objects.filter(
        status=VersionStatus.SCHEDULED, publish_at__lte=now
    ).values_list("pk", flat=True):
        with transaction.atomic():
            version = PolicyVersion.objects.select_for_update().get(pk=version_id)
            if version.status == VersionStatus.SCHEDULED:
                published.append(_publish(version, None))
    return published


@transaction.atomic
def start_new_version(policy: Policy, *, actor: User) -> PolicyVersion:
    """A new draft, copied from the latest version (a change is always a new version)."""
    require_department_official(actor, policy)
    latest = policy.versions.order_by("-number").first()
    if latest is not None and latest.status == VersionStatus.DRAFT:
        return latest
    if latest is None:
        raise Refused(_("This policy has no version to start from yet."))
    return create_draft(policy=policy, actor=actor,
                        **{name: getattr(latest, name) for name in DRAFT_FIELDS})  # fmt: skip
