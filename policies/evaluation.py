"""Deciding for one enterprise (facts through the hub) and for all (from the extracts); and,
for a version paid to persons (issue #26), for one person and for every person.

A person qualifies through their employer (the enterprise of `person.hrss.employer_uscc`):
the employer must be in the policy's targeted districts and industries and in business
(the register's status), and not black-listed (`credit.black_list`, through the hub);
then the version's rules decide on the person's facts and the employer's together."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

import numpy as np
from django.utils import timezone

from datahub.extracts import persons as snapshots
from datahub.extracts.reading import Snapshot, read_snapshot
from datahub.fetching.facts import FactSet
from datahub.fetching.pipeline import fetch_facts, fetch_facts_many, fetch_person_facts
from datahub.normalise import normalise
from enterprises.models import Enterprise, EnterpriseStatus
from enterprises.persons.models import Person
from qinqing.bulk import KeyedRead, any_of

from .batch import BatchOutcome, Column, evaluate_batch
from .engine import ELIGIBLE, INELIGIBLE, UNKNOWN, Outcome, evaluate
from .models import Policy, PolicyVersion
from .rules.facts import fact_spec

NOT_TARGETED = "not_targeted"
# The facts that tie a person to a qualifying employer, whatever the version's rules say.
EMPLOYER_USCC = "person.hrss.employer_uscc"
BLACK_LIST = "credit.black_list"
# Why a person's employer does not let them qualify (Decision.employer_reason).
NO_EMPLOYER = "no_employer"  # not insured, or by an enterprise not in the register
EMPLOYER_NOT_TARGETED = "employer_not_targeted"
EMPLOYER_NOT_IN_BUSINESS = "employer_not_in_business"
EMPLOYER_BLACK_LISTED = "employer_black_listed"
EMPLOYER_BLACK_LIST_UNKNOWN = "employer_black_list_unknown"


@dataclass
class Decision:
    version: PolicyVersion
    status: str  # eligible / ineligible / unknown / not_targeted
    amount: Decimal | None
    outcome: Outcome | None
    facts: FactSet | None
    # A version paid to persons: the employer the decision went through, and why it does
    # not let the person qualify ("" when it does).
    employer: Enterprise | None = None
    employer_reason: str = ""

    def explanation(self) -> list[dict]:
        if self.outcome is None:
            return []
        rows = []
        named = {criterion.fact for criterion in self.outcome.criteria}
        if (self.employer is not None and self.facts is not None
                and BLACK_LIST in self.facts.facts and BLACK_LIST not in named):  # fmt: skip
            rows.append(self._black_list_row())
        for criterion in self.outcome.criteria:
            row = criterion.as_json()
            fact = self.facts.facts.get(criterion.fact) if self.facts else None
            if fact is not None:
                row["fetched_at"] = fact.fetched_at.isoformat() if fact.fetched_at else None
                row["reason_unknown"] = fact.reason
            rows.append(row)
        return rows

    def _black_list_row(self) -> dict:
        """The employer condition every person's policy has, as one more criterion."""
        fact = self.facts.facts[BLACK_LIST]
        value = fact.value if fact.known else None
        met = None if value is None else value is False
        return {
            "id": "employer-not-black-listed",
            "label": {"zh": "参保单位未列入失信黑名单",
                      "en": "The employer is not on the black list"},
            "clause": "", "fact": BLACK_LIST, "value": value, "op": "is_false",
            "threshold": None, "result": met,
            "negated": False, "alternative": False, "met": met,
            "department": fact.department,
            "fetched_at": fact.fetched_at.isoformat() if fact.fetched_at else None,
            "reason_unknown": fact.reason,
        }  # fmt: skip


def is_targeted(policy: Policy, enterprise: Enterprise) -> bool:
    districts = {district.pk for district in policy.target_districts.all()}
    if districts and enterprise.district_id not in districts:
        return False
    sections = policy.target_industry_sections
    return not sections or enterprise.industry_section in sections


def evaluate_for_enterprise(
    version: PolicyVersion,
    enterprise: Enterprise,
    *,
    purpose: str,
    requested_by: Any = None,
    as_of: date | None = None,
    facts: FactSet | None = None,
    targeted: bool = False,
) -> Decision:
    """Fetch exactly the facts the version names (unless given) and decide. `targeted`:
    the caller has already checked that the policy is for this enterprise."""
    as_of = as_of or timezone.localdate()
    if version.rules.beneficiary == "person":
        raise ValueError(f"{version} pays persons: decide it with evaluate_for_person")
    if not targeted and not is_targeted(version.policy, enterprise):
        return Decision(version, NOT_TARGETED, None, None, None)
    rules = version.rules
    if facts is None:
        facts = fetch_facts(enterprise, rules.fact_names, purpose=purpose,
                            requested_by=requested_by, as_of=as_of)  # fmt: skip
    values = {name: facts.facts[name].value if facts.facts[name].known else None
              for name in rules.fact_names}  # fmt: skip
    outcome = evaluate(rules, values, as_of, cap=version.per_enterprise_cap)
    return Decision(version, outcome.status, outcome.amount, outcome, facts)


# A policy's target districts, by the policy's key: the link table alone.
_TARGET_DISTRICTS = KeyedRead(
    lambda keys: Policy.target_districts.through.objects.filter(
        any_of("policy_id", keys)
    ).values_list("district_id")
)


def evaluate_many(
    version: PolicyVersion,
    requests: list[tuple[Enterprise, str]],
    *,
    requested_by: Any = None,
    as_of: date | None = None,
) -> list[Decision]:
    """evaluate_for_enterprise() for several (enterprise, purpose) pairs, in order: the
    policy's targets read once and every enterprise's facts fetched together
    (fetch_facts_many); each decision is the one it would get alone."""
    as_of = as_of or timezone.localdate()
    policy = version.policy
    districts = {district for (district,) in _TARGET_DISTRICTS.rows([policy.pk])}
    sections = policy.target_industry_sections

    def targeted(enterprise: Enterprise) -> bool:
        if districts and enterprise.district_id not in districts:
            return False
        return not sections or enterprise.industry_section in sections

    wanted = [index for index, (enterprise, _purpose) in enumerate(requests)
              if targeted(enterprise)]  # fmt: skip
    rules = version.rules
    fetched = fetch_facts_many([requests[index] for index in wanted], rules.fact_names,
                               requested_by=requested_by, as_of=as_of)  # fmt: skip
    decisions = [Decision(version, NOT_TARGETED, None, None, None) for _ in requests]
    for index, facts in zip(wanted, fetched, strict=True):
        decisions[index] = evaluate_for_enterprise(
            version, requests[index][0], purpose=requests[index][1], as_of=as_of, facts=facts,
            targeted=True,
        )  # fmt: skip
    return decisions


@dataclass
class BatchDecision:
    enterprise_ids: np.ndarray
    targeted: np.ndarray
    outcome: BatchOutcome
    # What it was decided on: callers keep each qualifying enterprise's facts with its
    # claim, so the decision can be explained criterion by criterion later.
    snapshot: Snapshot | None = None
    rules_on: date | None = None

    def status(self) -> np.ndarray:
        status = self.outcome.status()
        status[~self.targeted] = NOT_TARGETED
        return status

    @property
    def eligible(self) -> np.ndarray:
        return self.targeted & (self.status() == "eligible")

    @property
    def amount_fen(self) -> np.ndarray:
        return np.where(self.eligible, self.outcome.amount_fen, 0)


def target_mask(policy: Policy, enterprise_ids: np.ndarray) -> np.ndarray:
    districts = list(policy.target_districts.values_list("pk", flat=True))
    sections = policy.target_industry_sections
    if not districts and not sections:
        return np.ones(len(enterprise_ids), dtype=bool)
    # The database filters; only the targeted ids come back (not the whole register).
    targeted = Enterprise.objects.all()
    if districts:
        targeted = targeted.filter(district_id__in=districts)
    if sections:
        targeted = targeted.filter(industry_section__in=sections)
    ids = np.fromiter(targeted.values_list("id", flat=True), dtype=np.int64)
    return np.isin(enterprise_ids, ids)


def evaluate_all(version: PolicyVersion, rules_on: date | None = None, *,
                 snapshot: Snapshot | None = None) -> BatchDecision:  # fmt: skip
    """Every enterprise at once, from the hub's bulk extracts (SnapshotMissing if absent);
    or the enterprises of `snapshot` (read_snapshot for some of them: a re-evaluation).

    Facts are the enterprises as the latest extracts show them; the rules (their dated
    parameters) are taken as they stand on `rules_on`, by default the later of the
    extracts' date and the day the version opens.
    """
    rules = version.rules
    if rules.beneficiary == "person":
        raise ValueError(f"{version} pays persons: decide it with evaluate_all_persons")
    if snapshot is None:
        snapshot = read_snapshot(rules.fact_names)
    if rules_on is None:
        rules_on = max(version.valid_from, snapshot.as_of or timezone.localdate())
    columns = {name: Column(snapshot.columns[name], snapshot.known[name])
               for name in rules.fact_names}  # fmt: skip
    outcome = evaluate_batch(rules, columns, rules_on, cap=version.per_enterprise_cap)
    return BatchDecision(
        snapshot.enterprise_ids,
        target_mask(version.policy, snapshot.enterprise_ids),
        outcome,
        snapshot,
        rules_on,
    )


def explain_recorded(version: PolicyVersion, values: dict[str, Any], rules_on: date) -> Outcome:
    """Re-derive a decision, criterion by criterion, from facts kept as JSON (a batch run
    keeps each qualifying enterprise's facts, not a million explanations): the same rules
    on the same facts give the same answer."""
    typed = {name: None if values.get(name) is None else normalise(fact_spec(name), values[name])
             for name in version.rules.fact_names}  # fmt: skip
    return evaluate(version.rules, typed, rules_on, cap=version.per_enterprise_cap)


# --- Persons (a version whose beneficiary is the person) -------------------------------------


def _employer_refusal(policy: Policy, employer: Enterprise | None) -> str:
    """Why this employer does not let its insured persons qualify ("" when it may)."""
    if employer is None:
        return NO_EMPLOYER
    if not is_targeted(policy, employer):
        return EMPLOYER_NOT_TARGETED
    if employer.status != EnterpriseStatus.ACTIVE:
        return EMPLOYER_NOT_IN_BUSINESS
    return ""


def evaluate_for_person(
    version: PolicyVersion,
    person: Person,
    *,
    purpose: str,
    requested_by: Any = None,
    as_of: date | None = None,
) -> Decision:
    """Decide for one person: their facts (and who insures them) through the hub, then
    their employer's facts, each read logged with `purpose`; the explanation names every
    criterion, person's and employer's, and the employer's black-list check. A person not
    insured, or insured by an enterprise the policy does not target or that is not in
    business, is NOT_TARGETED (with `employer_reason`)."""
    as_of = as_of or timezone.localdate()
    rules = version.rules
    person_names = list(dict.fromkeys([EMPLOYER_USCC, *rules.person_fact_names]))
    person_facts = fetch_person_facts(person, person_names, purpose=purpose,
                                      requested_by=requested_by, as_of=as_of)  # fmt: skip
    uscc_fact = person_facts.facts[EMPLOYER_USCC]
    uscc = str(uscc_fact.value or "").strip() if uscc_fact.known else ""
    employer = Enterprise.objects.filter(uscc=uscc).first() if uscc else None
    merged = FactSet(facts=dict(person_facts.facts), calls=list(person_facts.calls))
    if not uscc_fact.known:
        # The insurance could not be read: we cannot say yet, never a denial.
        return Decision(version, UNKNOWN, None, None, merged, None, NO_EMPLOYER)
    refusal = _employer_refusal(version.policy, employer)
    if refusal:
        return Decision(version, NOT_TARGETED, None, None, merged, employer, refusal)
    employer_names = list(dict.fromkeys([*rules.employer_fact_names, BLACK_LIST]))
    employer_facts = fetch_facts(employer, employer_names, purpose=purpose,
                                 requested_by=requested_by, as_of=as_of)  # fmt: skip
    merged = FactSet(facts={**employer_facts.facts, **person_facts.facts},
                     calls=[*person_facts.calls, *employer_facts.calls])  # fmt: skip
    values = {name: merged.facts[name].value if merged.facts[name].known else None
              for name in rules.fact_names}  # fmt: skip
    outcome = evaluate(rules, values, as_of, cap=version.per_enterprise_cap)
    black = merged.facts[BLACK_LIST]
    if black.known and black.value is True:
        return Decision(version, INELIGIBLE, None, outcome, merged, employer,
                        EMPLOYER_BLACK_LISTED)  # fmt: skip
    if not black.known and outcome.status != INELIGIBLE:
        return Decision(version, UNKNOWN, None, outcome, merged, employer,
                        EMPLOYER_BLACK_LIST_UNKNOWN)  # fmt: skip
    return Decision(version, outcome.status, outcome.amount, outcome, merged, employer)


@dataclass
class PersonBatchDecision:
    """Every person (or `person_ids`) decided at once, rows aligned on `person_ids`.

    `employer_ids` is -1 where a person is not insured or their employer is not in the
    register. A person appears once: where the extract shows a person on several rows
    (insured by two enterprises), the row kept is the one that pays (the highest amount),
    the others are `duplicate`. Amounts are fen per claim period."""

    person_ids: np.ndarray
    employer_ids: np.ndarray
    employer_ok: np.ndarray  # targeted, in the register and in business
    black_listed: np.ndarray  # known to be on the black list
    black_list_known: np.ndarray
    kept: np.ndarray  # False for a person's second row
    outcome: BatchOutcome
    snapshot: Any = None
    rules_on: date | None = None

    @property
    def as_of(self) -> date | None:
        return getattr(self.snapshot, "as_of", None)

    def status(self) -> np.ndarray:
        status = self.outcome.status().astype("<U16")
        undecided = ~self.black_list_known & (status != INELIGIBLE)
        status[undecided] = UNKNOWN
        status[self.black_listed] = INELIGIBLE
        status[~self.employer_ok] = NOT_TARGETED
        status[~self.kept] = "duplicate"
        return status

    @cached_property
    def eligible(self) -> np.ndarray:
        """Booleans, not the status' strings: millions of rows stay cheap."""
        outcome = self.outcome
        return (outcome.known & outcome.eligible & outcome.amount_known & self.employer_ok
                & self.black_list_known & ~self.black_listed & self.kept)  # fmt: skip

    @cached_property
    def amount_fen(self) -> np.ndarray:
        return np.where(self.eligible, self.outcome.amount_fen, 0)


FEW_EMPLOYERS = 5000


def targeted_employers(policy: Policy, among: np.ndarray | None = None) -> np.ndarray:
    """The enterprises a persons' policy lets its persons qualify through: in business and
    targeted by it (the ids, ascending). The database filters; `among`: only these ids
    are asked about (a few employers), else the whole filtered register at once."""
    employers = Enterprise.objects.filter(status=EnterpriseStatus.ACTIVE)
    districts = list(policy.target_districts.values_list("pk", flat=True))
    if districts:
        employers = employers.filter(district_id__in=districts)
    if policy.target_industry_sections:
        employers = employers.filter(industry_section__in=policy.target_industry_sections)
    if among is not None:
        employers = employers.filter(pk__in=among.tolist())
    # Sorted here: the register's default order (by name) would sort them all by name first.
    ids = employers.order_by().values_list("pk", flat=True)
    return np.sort(np.fromiter(ids, dtype=np.int64))


def employer_mask(policy: Policy, employer_ids: np.ndarray,
                  targeted: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """Whose employers let them qualify: in the register, targeted by the policy and in
    business (targeted_employers(), or `targeted` as read before)."""
    if targeted is None:
        wanted = np.unique(employer_ids[employer_ids >= 0])
        targeted = targeted_employers(policy, wanted if len(wanted) <= FEW_EMPLOYERS else None)
    return np.isin(employer_ids, targeted) & (employer_ids >= 0)


def _first_row_per_person(person_ids: np.ndarray, paying: np.ndarray,
                          amount_fen: np.ndarray) -> np.ndarray:  # fmt: skip
    """One row per person: where a person has several, the paying row with the highest
    amount (then the first)."""
    kept = np.ones(len(person_ids), dtype=bool)
    if len(person_ids) < 2 or bool(np.all(person_ids[1:] > person_ids[:-1])):
        return kept  # one row each (the extract's usual order): nothing to sort
    order = np.lexsort((np.arange(len(person_ids)), -amount_fen, ~paying, person_ids))
    ordered = person_ids[order]
    repeat = np.zeros(len(order), dtype=bool)
    repeat[1:] = ordered[1:] == ordered[:-1]
    kept[order[repeat]] = False
    return kept


def evaluate_all_persons(
    version: PolicyVersion,
    rules_on: date | None = None,
    person_ids: Any = None,
    also_read: Iterable[str] = (),
    *,
    part: PersonPart | None = None,
) -> PersonBatchDecision:
    """Every person at once (or `person_ids`), from the hub's person extracts with their
    employers' enterprise facts aligned on them (SnapshotMissing if absent): the version's
    rules over both, then the employer conditions (targeted, in business, not black-listed)
    and one row per person. `rules_on` as for evaluate_all. `also_read`: person facts the
    caller needs beside the rules' (a batch's payment rows), read in the same pass and
    left in the decision's snapshot. `part`: the persons of one id range only, with the
    employers' side read before (evaluate_persons_in_parts)."""
    rules = version.rules
    employer_names = _employer_fact_names(rules)
    snapshot = snapshots.read_person_snapshot(
        [*rules.person_fact_names, *also_read], employer_names, person_ids=person_ids,
        id_range=part.id_range if part else None, employers=part.employers if part else None,
    )  # fmt: skip
    if rules_on is None:
        rules_on = max(version.valid_from, snapshot.as_of or timezone.localdate())
    columns = {name: Column(snapshot.columns[name], snapshot.known[name])
               for name in rules.fact_names}  # fmt: skip
    outcome = evaluate_batch(rules, columns, rules_on, cap=version.per_enterprise_cap)
    employer_ids = np.asarray(snapshot.employer_ids, dtype=np.int64)
    black_known = np.asarray(snapshot.known[BLACK_LIST], dtype=bool) & (employer_ids >= 0)
    black = np.asarray(snapshot.columns[BLACK_LIST], dtype=bool) & black_known
    employer_ok = employer_mask(version.policy, employer_ids, part.targeted if part else None)
    paying = (employer_ok & black_known & ~black
              & (outcome.status() == ELIGIBLE))  # fmt: skip
    person_ids_array = np.asarray(snapshot.person_ids, dtype=np.int64)
    kept = _first_row_per_person(person_ids_array, paying, outcome.amount_fen)
    return PersonBatchDecision(person_ids_array, employer_ids, employer_ok, black, black_known,
                               kept, outcome, snapshot, rules_on)  # fmt: skip


@dataclass(frozen=True)
class PersonPart:
    """One part of a persons' batch read in parts: its persons' ids (`id_range`, low
    included, high not) and the employers' side every part shares."""

    id_range: tuple[int, int]
    employers: snapshots.Employers
    targeted: np.ndarray  # targeted_employers(), once for every part


def evaluate_persons_in_parts(
    version: PolicyVersion, persons_per_part: int, also_read: Iterable[str] = ()
) -> Iterator[PersonBatchDecision]:
    """Every person, decided as evaluate_all_persons decides them, in parts of at most
    `persons_per_part` ids, ascending: a batch queues a part's claims while the next part
    is read. The employers' side (the register's USCCs, their enterprise facts, whom the
    policy targets) is read once for all the parts, and every part is decided on the
    first part's day. A refresh of the person extracts that lands between two parts gives
    the later parts the newer extract (each person is still read once). Everyone at once
    (one part, as evaluate_all_persons) when they fit in one, or when an extract is
    missing (SnapshotMissing, raised by that read)."""
    rules = version.rules
    also_read = list(also_read)
    ranges = snapshots.person_id_ranges([*rules.person_fact_names, *also_read],
                                        persons_per_part)  # fmt: skip
    if ranges is None or len(ranges) < 2:
        yield evaluate_all_persons(version, also_read=also_read)
        return
    employers = snapshots.read_employers(_employer_fact_names(rules))
    targeted = targeted_employers(version.policy)
    rules_on = None
    for id_range in ranges:
        decision = evaluate_all_persons(version, rules_on, also_read=also_read,
                                        part=PersonPart(id_range, employers, targeted))  # fmt: skip
        rules_on = decision.rules_on
        yield decision


def _employer_fact_names(rules) -> list[str]:
    """The enterprise facts a persons' decision reads of each employer."""
    return list(dict.fromkeys([*rules.employer_fact_names, BLACK_LIST]))
