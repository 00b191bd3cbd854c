"""Evaluating one re-evaluation run (a `ReevaluationRun`: one open version's part of a
change of facts), set-based, through the batch run's own steps: for a version paying
enterprises, one vectorised evaluation over the changed enterprises' extract rows
(policies.evaluation.evaluate_all); for one paying persons, over exactly the persons the
change reaches (evaluate_all_persons): the changed persons, through their own facts, and
those insured by a changed employer, through its facts. The newly qualifying are queued
as chunks (DECIDE_TASK: subsidies.reevaluation.decide_chunk decides and pays them);
offers that no longer hold are withdrawn (subsidies/offer_withdrawals.py). Which claims
are already held is read by the ids alone (selectors.claims_of) under plan_by_keys():
the version's batch run may just have added hundreds of thousands of its claims."""

from __future__ import annotations

import logging

import numpy as np
from django.db import transaction
from django.utils import timezone

from datahub.extracts.persons import persons_insured_by, read_person_snapshot
from datahub.extracts.reading import Snapshot, SnapshotMissing, read_snapshot
from enterprises.models import Enterprise, EnterpriseStatus
from policies.engine import INELIGIBLE
from policies.evaluation import (
    BLACK_LIST,
    EMPLOYER_USCC,
    NOT_TARGETED,
    evaluate_all,
    evaluate_all_persons,
)
from policies.models import Beneficiary, PolicyVersion
from qinqing.bulk import any_of, plan_by_keys
from qinqing.iterables import chunked
from qinqing.queueing import queue

from .batch import CHUNK
from .chunk_rows import PERSON_PAYMENT_FACTS, facts_by_row, person_rows
from .claims import period_key
from .models import ClaimStatus, Reevaluation, ReevaluationRun
from .offer_withdrawals import withdraw_offers
from .selectors import claims_of

logger = logging.getLogger(__name__)
DECIDE_TASK = "subsidies.tasks.decide_reevaluation_chunk"
# A person's facts that decide whatever the version's rules name: who insures them.
PERSON_ALWAYS = (EMPLOYER_USCC, "person.hrss.insured")


def read_by(version: PolicyVersion) -> list[str]:
    """Every fact a version's decision depends on."""
    if version.beneficiary != Beneficiary.PERSON:
        return version.rules.fact_names
    return [*version.rules.fact_names, *PERSON_ALWAYS, BLACK_LIST]


def reaches(version: PolicyVersion, facts: list[str]) -> tuple[bool, bool]:
    """Whether a change of `facts` (any, when none is named) reaches a person version
    through the persons' own facts, and through their employers' facts."""
    if not facts:
        return True, True
    wanted = set(facts)
    rules = version.rules
    return (bool(wanted & {*rules.person_fact_names, *PERSON_ALWAYS}),
            bool(wanted & {*rules.employer_fact_names, BLACK_LIST}))  # fmt: skip


def evaluate_runs(runs: list[ReevaluationRun], change: Reevaluation) -> None:
    """Evaluate these runs of `change`: the person versions' over the persons it reaches,
    the enterprise versions' over its enterprises (their extract read once when every
    version's is there); a missing extract ends its run, logged."""
    persons = [run for run in runs if run.version.beneficiary == Beneficiary.PERSON]
    if persons:
        _evaluate_person_runs(persons, change)
    runs = [run for run in runs if run.version.beneficiary != Beneficiary.PERSON]
    enterprise_ids = change.enterprise_ids
    if not runs:
        return
    names = sorted({name for run in runs for name in run.version.rules.fact_names})
    try:
        snapshot: Snapshot | None = read_snapshot(names, enterprise_ids)
    except SnapshotMissing:
        snapshot = None  # some version's extract is missing: each reads its own
    for run in runs:
        try:
            _evaluate(run, snapshot or read_snapshot(run.version.rules.fact_names,
                                                     enterprise_ids))  # fmt: skip
        except SnapshotMissing as error:
            logger.warning("re-evaluation run %s: %s", run.pk, error)
            ReevaluationRun.objects.filter(pk=run.pk).update(
                evaluated_at=timezone.now(), finished_at=timezone.now()
            )


def _evaluate(run: ReevaluationRun, snapshot: Snapshot) -> None:
    version = run.version
    decision = evaluate_all(version, snapshot=snapshot)
    ids = decision.enterprise_ids
    period = period_key(version, timezone.localdate(run.started_at))
    active_ids: set[int] = set()
    holding: dict[int, tuple[int, str]] = {}
    with transaction.atomic():
        plan_by_keys()  # several reads by keys: a batch may have outrun the statistics
        for part in chunked(ids.tolist(), 5000):
            active_ids.update(Enterprise.objects.filter(
                any_of("pk", part), status=EnterpriseStatus.ACTIVE,
            ).values_list("pk", flat=True))  # fmt: skip
            holding.update(_held("enterprise_id", part, version, period))
    active = np.isin(ids, np.fromiter(active_ids, dtype=np.int64, count=len(active_ids)))
    held = np.isin(ids, np.fromiter(holding, dtype=np.int64, count=len(holding)))
    rows = np.flatnonzero(decision.eligible & active & ~held)
    status = decision.status()
    no_longer = (status == "ineligible") | (status == NOT_TARGETED) | ~active
    stale = [holding[int(pk)][0] for pk in ids[no_longer]
             if holding.get(int(pk), (0, ""))[1] == ClaimStatus.OFFERED]  # fmt: skip
    withdrawn = withdraw_offers(stale, run.reevaluation.cause) if stale else []
    new_ids = ids[rows].tolist()
    amounts = decision.amount_fen[rows].tolist()
    facts = facts_by_row(decision.snapshot, version.rules.fact_names, rows)
    chunks = (len(new_ids) + CHUNK - 1) // CHUNK
    ReevaluationRun.objects.filter(pk=run.pk).update(
        evaluated=len(ids), qualified=len(new_ids), withdrawn=len(withdrawn), chunks=chunks,
        evaluated_at=timezone.now(), finished_at=None if chunks else timezone.now(),
    )  # fmt: skip
    rules_on = decision.rules_on.isoformat() if decision.rules_on else None
    for number, begin in enumerate(range(0, len(new_ids), CHUNK)):
        end = begin + CHUNK
        queue(DECIDE_TASK, run.pk, number, new_ids[begin:end], amounts[begin:end],
              facts[begin:end], rules_on)  # fmt: skip


def _held(subject: str, ids: list[int], version: PolicyVersion,
          period: str) -> dict[int, tuple[int, str]]:  # fmt: skip
    """The claim (id, status) each of these enterprises (or persons) holds under the
    version's policy for the period, read by the ids alone (selectors.claims_of)."""
    return {subject_id: (pk, status) for pk, subject_id, status in claims_of(
        subject, ids, policy_id=version.policy_id, period=period,
        fields=("pk", subject, "status"))}  # fmt: skip


def _evaluate_person_runs(runs: list[ReevaluationRun], change: Reevaluation) -> None:
    """Each person version's run over exactly the persons the change reaches: the changed
    persons (through their own facts) and those insured by a changed employer (through
    its facts), read from the person extracts; an extract missing ends the run (logged)."""
    employees: list[int] | None = None
    for run in runs:
        through_persons, through_employers = reaches(run.version, change.facts)
        reached = set(change.person_ids) if through_persons else set()
        if through_employers and change.enterprise_ids:
            if employees is None:  # one scan of the extract for every version
                employees = persons_insured_by(change.enterprise_ids)
            reached |= set(employees)
        try:
            _evaluate_persons(run, sorted(reached))
        except SnapshotMissing as error:
            logger.warning("re-evaluation run %s: %s", run.pk, error)
            ReevaluationRun.objects.filter(pk=run.pk).update(
                evaluated_at=timezone.now(), finished_at=timezone.now()
            )


def _evaluate_persons(run: ReevaluationRun, person_ids: list[int]) -> None:
    """A person version's batch step for these persons only (the publish-time run's,
    subsidies.batch._start_persons): the newly qualifying decided in chunks with their
    card's account; an offer whose person no longer qualifies (their one row per person
    found not eligible or not targeted, never merely unknown) withdrawn."""
    version = run.version
    if not person_ids:
        decision = None
        ids = np.array([], dtype=np.int64)
    else:
        decision = evaluate_all_persons(version, person_ids=person_ids)
        ids = np.asarray(decision.person_ids, dtype=np.int64)
    period = period_key(version, timezone.localdate(run.started_at))
    holding: dict[int, tuple[int, str]] = {}
    with transaction.atomic():
        plan_by_keys()  # several reads by keys: a batch may have outrun the statistics
        for part in chunked(sorted(set(ids.tolist())), 5000):
            holding.update(_held("person_id", part, version, period))
    if decision is None:
        rows = np.array([], dtype=np.int64)
        stale: list[int] = []
    else:
        held = np.isin(ids, np.fromiter(holding, dtype=np.int64, count=len(holding)))
        rows = np.flatnonzero(decision.eligible & ~held)
        status = decision.status()
        kept = np.asarray(decision.kept, dtype=bool)
        no_longer = kept & ((status == INELIGIBLE) | (status == NOT_TARGETED))
        stale = [holding[int(pk)][0] for pk in np.unique(ids[no_longer])
                 if holding.get(int(pk), (0, ""))[1] == ClaimStatus.OFFERED]  # fmt: skip
    withdrawn = withdraw_offers(stale, run.reevaluation.cause) if stale else []
    new_persons = ids[rows]
    employers = (np.asarray(decision.employer_ids, dtype=np.int64)[rows].tolist()
                 if decision is not None else [])  # fmt: skip
    amounts = decision.amount_fen[rows].tolist() if decision is not None else []
    facts = (facts_by_row(decision.snapshot, version.rules.fact_names, rows)
             if decision is not None and len(rows) else [])  # fmt: skip
    persons = (person_rows(read_person_snapshot(PERSON_PAYMENT_FACTS, person_ids=new_persons),
                           new_persons) if len(rows) else [])  # fmt: skip
    chunks = (len(persons) + CHUNK - 1) // CHUNK
    ReevaluationRun.objects.filter(pk=run.pk).update(
        evaluated=len(np.unique(ids)), qualified=len(persons), withdrawn=len(withdrawn),
        chunks=chunks, evaluated_at=timezone.now(),
        finished_at=None if chunks else timezone.now(),
    )  # fmt: skip
    rules_on = decision.rules_on.isoformat() if decision is not None and decision.rules_on else None
    for number, begin in enumerate(range(0, len(persons), CHUNK)):
        end = begin + CHUNK
        queue(DECIDE_TASK, run.pk, number, employers[begin:end], amounts[begin:end],
              facts[begin:end], rules_on, persons[begin:end])  # fmt: skip
