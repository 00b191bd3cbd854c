"""Entitlement that follows the facts: when the hub says some enterprises' facts changed
(datahub.signals.facts_changed), every open automatic or confirm version that reads those
facts is evaluated again for exactly those enterprises, set-based, through the batch
run's own steps (subsidies/batch.py: one vectorised evaluation over the extracts, chunks
made by `decide_claims` and paid by `pay_counted`).

Versions paying persons (issue #26) follow the facts the same way: a change in some
persons' facts (`person_ids`: their extract rows, a differing answer, a correction, a new
person in the register) re-evaluates exactly those persons, and a change in an employer's
facts the persons its extract shows insured by it (datahub.snapshots.persons_insured_by),
under the open person versions reading a changed fact — one evaluation over the person
extracts (policies.evaluation.evaluate_all_persons), chunks decided by the same
`decide_claims` with `persons=` (each person paid once per policy and period, to their
social security card's account; the claim's enterprise the qualifying employer):

- newly qualifying enterprises are paid (automatic) or offered (confirm) and told so;
  an enterprise that holds a claim for the period keeps it (the one-claim constraint:
  nothing is paid twice, and a claim made by hand wins);
- confirm offers whose facts no longer hold are withdrawn, with the reason, in both
  languages (the claim's transition table, audit and outbox); a person's offer is told to
  the person, never to the employer's members.

The receiver writes a `Reevaluation` row (the work owed) and queues it by name; each
version's part is a `ReevaluationRun`, its chunks `BatchChunk` rows (a batch run's own
kind, with `reevaluation_run` set). While the version's publish-time batch run is still
paying, the run waits (decided under a lock on the batch run's row) and starts when
that run is done: never two decisions on the same enterprises at once, and no change
lost."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from datahub.snapshots import (
    PERSONS,
    Snapshot,
    SnapshotMissing,
    persons_insured_by,
    read_person_snapshot,
    read_snapshot,
    refresh_rows,
)
from enterprises.models import Enterprise, EnterpriseMembership, EnterpriseStatus
from enterprises.persons.models import Person
from policies.engine import INELIGIBLE
from policies.evaluation import (
    BLACK_LIST,
    EMPLOYER_USCC,
    NOT_TARGETED,
    evaluate_all,
    evaluate_all_persons,
)
from policies.models import Beneficiary, PolicyVersion, VersionStatus
from qinqing.bulk import any_of, plan_by_keys
from qinqing.i18n import in_languages
from qinqing.iterables import chunked
from qinqing.notifications.services import Delivery, notify_many
from qinqing.notifications.text import Message
from qinqing.queueing import queue, queue_on_commit

from . import checkqueue
from .batch import (
    BATCH_MODES,
    CHUNK,
    PERSON_PAYMENT_FACTS,
    Decided,
    decide_claims,
    facts_by_row,
    pay_counted,
    person_rows,
    settle,
)
from .claims import period_key
from .models import (
    BatchChunk,
    BatchRun,
    Claim,
    ClaimStatus,
    Reevaluation,
    ReevaluationRun,
)
from .moves import move_claims
from .notification_kinds import NotificationKind
from .selectors import claims_of

logger = logging.getLogger(__name__)
REEVALUATE_TASK = "subsidies.tasks.reevaluate"
DECIDE_TASK = "subsidies.tasks.decide_reevaluation_chunk"
PAY_TASK = "subsidies.tasks.pay_reevaluation_chunk"

WITHDRAWN_TITLE = _("Offer withdrawn: {policy}")
WITHDRAWN_BODY = _(
    "The offer to {enterprise} under “{policy}” was withdrawn: {cause}, and by the "
    "department data now held the enterprise no longer meets the policy's conditions. "
    "If you think the data is wrong, ask the department to correct it from the claim page."
)
WITHDRAWN_REASON = _(
    "Withdrawn because {cause}: by the department data now held the enterprise no longer "
    "meets the conditions."
)
PERSON_WITHDRAWN_TITLE = _("Offer withdrawn: {policy}")
PERSON_WITHDRAWN_BODY = _(
    "The offer to you under “{policy}” was withdrawn: {cause}, and by the department data "
    "now held you no longer meet the policy's conditions. If you think the data is wrong, "
    "dispute it from the claim page."
)
PERSON_WITHDRAWN_REASON = _(
    "Withdrawn because {cause}: by the department data now held the person no longer "
    "meets the conditions."
)
PERSON_CAUSE_WORDS = {
    Reevaluation.Cause.EXTRACT: _("a department's data about the person or their employer changed"),
    Reevaluation.Cause.ANSWER: _(
        "a department's answer about the person or their employer changed"
    ),
    Reevaluation.Cause.CORRECTION: _("a fact about the person or their employer was corrected"),
    Reevaluation.Cause.REGISTERED: _("the register of persons or enterprises changed"),
    Reevaluation.Cause.CREDIT: _("the employer's credit listing changed"),
}
# A person's facts that decide whatever the version's rules name: who insures them.
PERSON_ALWAYS = (EMPLOYER_USCC, "person.hrss.insured")
CAUSE_WORDS = {
    Reevaluation.Cause.EXTRACT: _("a department's data about the enterprise changed"),
    Reevaluation.Cause.ANSWER: _("a department's answer about the enterprise changed"),
    Reevaluation.Cause.CORRECTION: _("a fact about the enterprise was corrected"),
    Reevaluation.Cause.REGISTERED: _("the enterprise's registration changed"),
    Reevaluation.Cause.CREDIT: _("the enterprise's credit listing changed"),
}


def on_facts_changed(sender: Any = None, *, enterprise_ids=(), facts=(), cause: str = "",
                     person_ids=(), **kwargs: Any) -> None:  # fmt: skip
    """The receiver of datahub.signals.facts_changed: records the work owed and queues it.
    Never raises (the hub's change is committed; a failure here is logged, and a row
    written is queued again by the owed-work sweep)."""
    try:
        ids = sorted({int(pk) for pk in enterprise_ids or ()})
        persons = sorted({int(pk) for pk in person_ids or ()})
        if not ids and not persons:
            return
        if cause not in Reevaluation.Cause.values:
            cause = Reevaluation.Cause.ANSWER
        with transaction.atomic():
            change = Reevaluation.objects.create(
                cause=cause, enterprise_ids=ids, facts=sorted(set(facts or ())),
                enterprises=len(ids), person_ids=persons, persons=len(persons),
            )  # fmt: skip
            queue_on_commit(REEVALUATE_TASK, change.pk)
    except Exception:
        logger.exception("re-evaluation of %s enterprises (%s) not recorded",
                         len(enterprise_ids or ()), cause)  # fmt: skip


def open_versions(facts: list[str], day=None,
                  beneficiary: str = Beneficiary.ENTERPRISE) -> list[PolicyVersion]:  # fmt: skip
    """Open automatic and confirm versions paying `beneficiary` (enterprises, or persons)
    reading any of `facts` (any, when none is named) whose publish-time batch run has
    started (before it, that run reads the new facts itself). A version paying persons
    also reads, whatever its rules name, who insures each person and the employer's
    black listing."""
    day = day or timezone.localdate()
    versions = (PolicyVersion.objects.select_related("policy")
                .filter(status=VersionStatus.PUBLISHED, valid_from__lte=day, valid_until__gte=day,
                        policy__delivery_mode__in=BATCH_MODES, beneficiary=beneficiary,
                        batch_run__status__in=[BatchRun.Status.RUNNING, BatchRun.Status.DONE])
                .order_by("pk"))  # fmt: skip
    wanted = set(facts)
    return [v for v in versions if not wanted or wanted & set(_read_by(v))]


def _read_by(version: PolicyVersion) -> list[str]:
    """Every fact a version's decision depends on."""
    if version.beneficiary != Beneficiary.PERSON:
        return version.rules.fact_names
    return [*version.rules.fact_names, *PERSON_ALWAYS, BLACK_LIST]


def _reaches(version: PolicyVersion, facts: list[str]) -> tuple[bool, bool]:
    """Whether a change of `facts` (any, when none is named) reaches a person version
    through the persons' own facts, and through their employers' facts."""
    if not facts:
        return True, True
    wanted = set(facts)
    rules = version.rules
    return (bool(wanted & {*rules.person_fact_names, *PERSON_ALWAYS}),
            bool(wanted & {*rules.employer_fact_names, BLACK_LIST}))  # fmt: skip


def reevaluate(reevaluation_id: int) -> Reevaluation:
    """Evaluate the changed enterprises under every open version that reads the changed
    facts; a run already evaluated (a task delivered twice) is not evaluated again."""
    change = Reevaluation.objects.get(pk=reevaluation_id)
    if change.finished_at is not None:
        return change
    Reevaluation.objects.filter(pk=change.pk, started_at__isnull=True).update(
        started_at=timezone.now()
    )
    if change.cause != Reevaluation.Cause.EXTRACT:
        # Learnt one enterprise at a time: the extracts catch up for these rows first.
        refresh_rows(change.enterprise_ids, change.facts)
    if change.person_ids and change.cause == Reevaluation.Cause.ANSWER:
        # A person's differing answer: their extract rows catch up too. (A correction is
        # overlaid on every read, and a new person's rows were brought by the hub.)
        refresh_rows(change.person_ids, change.facts, subject=PERSONS)
    recheck_ineligible(change.enterprise_ids, change.facts, person_ids=change.person_ids)
    versions = open_versions(change.facts) if change.enterprise_ids else []
    for version in open_versions(change.facts, beneficiary=Beneficiary.PERSON):
        through_persons, through_employers = _reaches(version, change.facts)
        if ((through_persons and change.person_ids)
                or (through_employers and change.enterprise_ids)):  # fmt: skip
            versions.append(version)
    runs = []
    for version in versions:
        run, _created = ReevaluationRun.objects.get_or_create(reevaluation=change, version=version)
        if run.evaluated_at is None and not run.waiting and not _waits_for_batch(run):
            run.version = version
            runs.append(run)
    _evaluate_runs(runs, change)
    finish_if_complete(change.pk)
    return Reevaluation.objects.get(pk=change.pk)


def recheck_ineligible(enterprise_ids: list[int], facts: list[str], *,
                       person_ids: list[int] = ()) -> list[int]:  # fmt: skip
    """Claims found ineligible in a period still open, under a version that reads a changed
    fact, are decided again through the claim pipeline: a fact corrected on a dispute pays
    the claim without the enterprise (or the person) claiming again. Whatever the delivery
    mode. A person's claim names their employer as its enterprise, so an employer's change
    reaches it too."""
    today = timezone.localdate()
    candidates: dict[int, Claim] = {}  # a person's claim names their employer: found twice
    with transaction.atomic():
        plan_by_keys()  # read by the ids alone, whatever a batch did to the statistics
        for subject, ids in (("enterprise_id", enterprise_ids), ("person_id", person_ids)):
            for part in chunked(sorted(set(ids)), 5000):
                candidates.update(
                    (claim.pk, claim) for claim in Claim.objects.filter(
                        any_of(subject, part), status=ClaimStatus.INELIGIBLE,
                        version__valid_from__lte=today, version__valid_until__gte=today,
                    ).select_related("version").only("pk", "period", "version")
                )  # fmt: skip
    wanted = set(facts)
    ids = [claim.pk for claim in candidates.values()
           if claim.period == period_key(claim.version, today)
           and (not wanted or wanted & set(_read_by(claim.version)))]  # fmt: skip
    if not ids:
        return []
    with transaction.atomic():
        moved = move_claims(ids, ClaimStatus.CHECKING)
        for claim_id in moved:
            transaction.on_commit(partial(checkqueue.enqueue, claim_id), robust=True)
    return moved


def _waits_for_batch(run: ReevaluationRun) -> bool:
    """True (and the run marked waiting) while the version's batch run is paying. The
    batch run's row is locked to decide: its end (batch._finish_if_complete) either came
    before, or comes after and finds this run waiting."""
    with transaction.atomic():
        batch = BatchRun.objects.select_for_update().filter(version_id=run.version_id).first()
        if batch is not None and batch.status == BatchRun.Status.RUNNING:
            ReevaluationRun.objects.filter(pk=run.pk).update(waiting=True)
            return True
    return False


def resume(version_id: int) -> int:
    """The version's batch run is done: the re-evaluations that waited for it run now,
    each taken by one worker only."""
    taken = []
    for run in ReevaluationRun.objects.select_related("version__policy", "reevaluation").filter(
        version_id=version_id, waiting=True
    ):
        if ReevaluationRun.objects.filter(pk=run.pk, waiting=True).update(waiting=False):
            taken.append(run)
    for run in taken:
        _evaluate_runs([run], run.reevaluation)
        finish_if_complete(run.reevaluation_id)
    return len(taken)


def _evaluate_runs(runs: list[ReevaluationRun], change: Reevaluation) -> None:
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
        through_persons, through_employers = _reaches(run.version, change.facts)
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


def withdraw_offers(claim_ids: list[int], cause: str) -> list[int]:
    """Offers whose facts no longer hold: withdrawn with the reason (kept in both
    languages in the claim's decision), audited, and their enterprises' members told (a
    person's offer: the person, in words about them)."""
    words = CAUSE_WORDS.get(cause, CAUSE_WORDS[Reevaluation.Cause.ANSWER])
    person_words = PERSON_CAUSE_WORDS.get(cause, PERSON_CAUSE_WORDS[Reevaluation.Cause.ANSWER])
    reasons = {
        False: in_languages(Message(WITHDRAWN_REASON, cause=words)),
        True: in_languages(Message(PERSON_WITHDRAWN_REASON, cause=person_words)),
    }
    with transaction.atomic():
        found = Claim.objects.filter(pk__in=claim_ids, status=ClaimStatus.OFFERED)
        rows = {
            pk: {"decision": {**(decision or {}), "withdrawn": reasons[person is not None]}}
            for pk, decision, person in found.values_list("pk", "decision", "person_id")
        }
        moved = move_claims(sorted(rows), ClaimStatus.WITHDRAWN, rows=rows)
        transaction.on_commit(partial(_tell_withdrawn, moved, words, person_words), robust=True)
    return moved


def _tell_withdrawn(claim_ids: list[int], cause, person_cause=None) -> None:
    claims = list(Claim.objects.filter(pk__in=claim_ids).select_related("policy", "enterprise"))
    persons = [claim for claim in claims if claim.person_id]
    claims = [claim for claim in claims if not claim.person_id]
    if persons:
        _tell_persons_withdrawn(persons, person_cause or cause)
    members: dict[int, list[int]] = {}
    for enterprise_id, user_id in EnterpriseMembership.objects.filter(
        enterprise_id__in={c.enterprise_id for c in claims}, user__is_active=True
    ).values_list("enterprise_id", "user_id"):
        members.setdefault(enterprise_id, []).append(user_id)
    deliveries = []
    for claim in claims:
        params = {"policy": claim.policy, "enterprise": claim.enterprise.name, "cause": cause}
        deliveries += [Delivery(user, Message(WITHDRAWN_TITLE, **params),
                                Message(WITHDRAWN_BODY, **params), f"/claims/{claim.pk}/")
                       for user in members.get(claim.enterprise_id, [])]  # fmt: skip
    notify_many(NotificationKind.CLAIM_OFFER_WITHDRAWN, deliveries)


def _tell_persons_withdrawn(claims: list[Claim], cause) -> None:
    """A person's offer withdrawn: the person hears of it through their login (the
    employer's members never do: a person's claim is the person's)."""
    logins = dict(Person.objects.filter(pk__in={c.person_id for c in claims}, user__is_active=True)
                  .values_list("pk", "user_id"))  # fmt: skip
    deliveries = [Delivery(logins[claim.person_id],
                           Message(PERSON_WITHDRAWN_TITLE, policy=claim.policy),
                           Message(PERSON_WITHDRAWN_BODY, policy=claim.policy, cause=cause),
                           f"/claims/{claim.pk}/")
                  for claim in claims if claim.person_id in logins]  # fmt: skip
    notify_many(NotificationKind.CLAIM_OFFER_WITHDRAWN, deliveries)


def decide_chunk(run_id: int, number: int, enterprise_ids: list[int], amounts_fen: list[int],
                 facts: list[dict] | None = None, rules_on: str | None = None,
                 persons: list[list] | None = None) -> int:  # fmt: skip
    """The batch run's chunk step for a re-evaluation's newly qualifying enterprises (or
    persons: `persons` one row per claim, subsidies.batch.person_rows, `enterprise_ids`
    their employers)."""
    run = ReevaluationRun.objects.select_related("version__policy", "reevaluation").get(pk=run_id)
    period = period_key(run.version, timezone.localdate(run.started_at))
    source = {"reevaluation": run.reevaluation_id, "cause": run.reevaluation.cause,
              "rules_on": rules_on}  # fmt: skip
    for _attempt in range(5):
        try:
            return decide_claims(
                BatchChunk, {"reevaluation_run_id": run.pk}, number, run.version, period,
                enterprise_ids, amounts_fen, facts or [], source,
                partial(_after_decided, run.pk, number), persons=persons,
            )  # fmt: skip
        except IntegrityError:
            continue  # a claim appeared between the check and the insert: look again
    raise RuntimeError(f"re-evaluation chunk {run_id}/{number} kept colliding with other claims")


def _after_decided(run_id: int, number: int, decided: Decided) -> None:
    """Paid as soon as decided, like a batch run's chunk (subsidies.batch.settle)."""
    settle(BatchChunk, {"reevaluation_run_id": run_id, "number": number}, decided, PAY_TASK,
           (run_id, number))  # fmt: skip
    _finish_run_if_complete(run_id)


def pay_chunk(run_id: int, number: int, claim_ids: list[int]) -> int:
    paid = pay_counted(BatchChunk, {"reevaluation_run_id": run_id, "number": number}, claim_ids)
    _mark_paid(run_id, number)
    return len(paid)


def _mark_paid(run_id: int, number: int) -> None:
    BatchChunk.objects.filter(
        reevaluation_run_id=run_id, number=number, paid_at__isnull=True
    ).update(paid_at=timezone.now())
    _finish_run_if_complete(run_id)


def _finish_run_if_complete(run_id: int) -> None:
    rows = BatchChunk.objects.filter(reevaluation_run_id=run_id)
    decided, paid = rows.count(), rows.filter(paid_at__isnull=False).count()
    ReevaluationRun.objects.filter(pk=run_id).update(chunks_done=decided)
    finished = ReevaluationRun.objects.filter(
        pk=run_id, finished_at__isnull=True, evaluated_at__isnull=False, chunks__lte=paid
    )
    if finished.update(finished_at=timezone.now()):
        finish_if_complete(ReevaluationRun.objects.get(pk=run_id).reevaluation_id)


def finish_if_complete(reevaluation_id: int) -> None:
    """The change is done when every run it made is finished."""
    open_runs = ReevaluationRun.objects.filter(reevaluation_id=reevaluation_id).filter(
        Q(finished_at__isnull=True) | Q(waiting=True)
    )
    if not open_runs.exists():
        Reevaluation.objects.filter(pk=reevaluation_id, finished_at__isnull=True).update(
            finished_at=timezone.now()
        )


def owed(now=None) -> tuple[list[int], list[int]]:
    """For the owed-work sweep: changes recorded a minute ago and never started, or
    started ten minutes ago and neither finished nor waiting (a worker died in the
    middle: evaluating again skips the versions already evaluated, and chunks already
    decided do nothing); and versions whose runs wait on a batch run no longer running."""
    now = now or timezone.now()
    stalled = Q(started_at__lt=now - timedelta(minutes=10)) & ~Q(runs__waiting=True)
    owed_changes = Reevaluation.objects.filter(finished_at__isnull=True).filter(
        Q(started_at__isnull=True, received_at__lt=now - timedelta(minutes=1)) | stalled
    )
    unstarted = list(owed_changes.values_list("pk", flat=True).distinct()[:500])
    waiting = list(ReevaluationRun.objects.filter(waiting=True).exclude(
        version__batch_run__status=BatchRun.Status.RUNNING
    ).values_list("version_id", flat=True).distinct()[:500])  # fmt: skip
    return unstarted, waiting


def runs_of(version_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """A version's latest re-evaluations for the officials' batch-run page: what changed,
    how many enterprises were evaluated, newly qualified, were paid or offered, and whose
    offers were withdrawn (one aggregate over the chunk rows)."""
    runs = list(ReevaluationRun.objects.filter(version_id=version_id)
                .select_related("reevaluation").order_by("-started_at", "-id")[:limit])  # fmt: skip
    chunks = BatchChunk.objects.filter(reevaluation_run__in=runs).values("reevaluation_run_id")
    totals = {row["reevaluation_run_id"]: row for row in
              chunks.annotate(paid=Sum("paid"), offered=Sum("offered"))}  # fmt: skip
    return [{"run": run, "cause": run.reevaluation.get_cause_display(),
             "changed": run.reevaluation.enterprises,
             "paid": (totals.get(run.pk) or {}).get("paid") or 0,
             "offered": (totals.get(run.pk) or {}).get("offered") or 0}
            for run in runs]  # fmt: skip
