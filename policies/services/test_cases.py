"""A draft's test cases: facts typed as the hub delivers them, checked, added, corrected,
removed while the version is a draft, and run against its rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from datahub.normalise import normalise
from qinqing.audit.services import record_event, snapshot
from qinqing.errors import Invalid, Refused

from ..engine import evaluate
from ..models import Beneficiary, PolicyTestCase, PolicyVersion, VersionStatus
from ..rules.errors import RuleError
from ..rules.facts import fact_spec, is_person_fact
from .drafts import require_department_official


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
