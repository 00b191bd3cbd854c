"""Entitlement that follows the facts: when the hub says some enterprises' facts changed
(datahub.signals.facts_changed), every open automatic or confirm version that reads those
facts is evaluated again for exactly those enterprises, set-based, through the batch
run's own steps (subsidies/batch.py: one vectorised evaluation over the extracts, chunks
made by `decide_claims` and paid by `pay_counted`).

Versions paying persons (issue #26) follow the facts the same way: a change in some
persons' facts (`person_ids`: their extract rows, a differing answer, a correction, a new
person in the register) re-evaluates exactly those persons, and a change in an employer's
facts the persons its extract shows insured by it (datahub.extracts.persons.persons_insured_by),
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
lost.

Here: the receiver, the change's bookkeeping (which versions it reaches, its runs
waiting and resumed, its chunks decided and paid, when it is finished, the owed-work
sweep's and the batch-run page's reads) and ineligible claims decided again. Evaluating
one run: subsidies/reevaluation_runs.py; withdrawing offers: subsidies/offer_withdrawals.py."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from datahub.extracts.refresh import refresh_rows
from datahub.extracts.subjects import PERSONS
from policies.models import Beneficiary, PolicyVersion, VersionStatus
from qinqing.bulk import any_of, plan_by_keys
from qinqing.iterables import chunked
from qinqing.queueing import queue_on_commit

from . import checkqueue
from .batch import BATCH_MODES, Decided, decide_claims, pay_counted, settle
from .claims import period_key
from .models import BatchChunk, BatchRun, Claim, ClaimStatus, Reevaluation, ReevaluationRun
from .moves import move_claims
from .reevaluation_runs import evaluate_runs, reaches, read_by

logger = logging.getLogger(__name__)
REEVALUATE_TASK = "subsidies.tasks.reevaluate"
PAY_TASK = "subsidies.tasks.pay_reevaluation_chunk"


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
    return [v for v in versions if not wanted or wanted & set(read_by(v))]


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
        through_persons, through_employers = reaches(version, change.facts)
        if ((through_persons and change.person_ids)
                or (through_employers and change.enterprise_ids)):  # fmt: skip
            versions.append(version)
    runs = []
    for version in versions:
        run, _created = ReevaluationRun.objects.get_or_create(reevaluation=change, version=version)
        if run.evaluated_at is None and not run.waiting and not _waits_for_batch(run):
            run.version = version
            runs.append(run)
    evaluate_runs(runs, change)
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
    # claim → (period, version); a person's claim names their employer: found twice.
    candidates: dict[int, tuple[str, int]] = {}
    with transaction.atomic():
        plan_by_keys()  # read by the ids alone, whatever a batch did to the statistics
        for subject, ids in (("enterprise_id", enterprise_ids), ("person_id", person_ids)):
            for part in chunked(sorted(set(ids)), 5000):
                candidates.update(
                    (pk, (period, version_id)) for pk, period, version_id in Claim.objects.filter(
                        any_of(subject, part), status=ClaimStatus.INELIGIBLE,
                        version__valid_from__lte=today, version__valid_until__gte=today,
                    ).values_list("pk", "period", "version_id")
                )  # fmt: skip
    # Each version once: its rules parsed once, not once per claim.
    versions = PolicyVersion.objects.in_bulk({version_id for _, version_id in candidates.values()})
    wanted = set(facts)
    reading = {pk: (not wanted or bool(wanted & set(read_by(version))))
               for pk, version in versions.items()}  # fmt: skip
    ids = [
        pk
        for pk, (period, version_id) in candidates.items()
        if reading[version_id] and period == period_key(versions[version_id], today)
    ]
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
        evaluate_runs([run], run.reevaluation)
        finish_if_complete(run.reevaluation_id)
    return len(taken)


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
