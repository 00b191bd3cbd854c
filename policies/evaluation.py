"""Deciding for one enterprise (facts through the hub) and for all (from the extracts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
from django.utils import timezone

from datahub.catalogue import CATALOGUE
from datahub.fetch import FactSet, fetch_facts, fetch_facts_many
from datahub.normalise import normalise
from datahub.snapshots import Snapshot, read_snapshot
from enterprises.models import Enterprise

from .batch import BatchOutcome, Column, evaluate_batch
from .engine import Outcome, evaluate
from .models import Policy, PolicyVersion

NOT_TARGETED = "not_targeted"


@dataclass
class Decision:
    version: PolicyVersion
    status: str  # eligible / ineligible / unknown / not_targeted
    amount: Decimal | None
    outcome: Outcome | None
    facts: FactSet | None

    def explanation(self) -> list[dict]:
        if self.outcome is None:
            return []
        rows = []
        for criterion in self.outcome.criteria:
            row = criterion.as_json()
            fact = self.facts.facts.get(criterion.fact) if self.facts else None
            if fact is not None:
                row["fetched_at"] = fact.fetched_at.isoformat() if fact.fetched_at else None
                row["reason_unknown"] = fact.reason
            rows.append(row)
        return rows


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
    districts = {district.pk for district in policy.target_districts.all()}
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
    typed = {name: None if values.get(name) is None else normalise(CATALOGUE[name], values[name])
             for name in version.rules.fact_names}  # fmt: skip
    return evaluate(version.rules, typed, rules_on, cap=version.per_enterprise_cap)
