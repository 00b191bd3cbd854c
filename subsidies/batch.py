""" "Enjoy without applying": when a version in automatic or confirm mode is published,
every qualifying enterprise is found in one batch evaluation over the bulk extracts and
gets a claim: paid straight away (automatic) or offered for one click (confirm).

A run is cut into chunks, each a task any worker can take:
- `decide_chunk` makes the chunk's claims, reserves their budget and creates their
  disbursements in one transaction, with its `BatchChunk` row: a chunk delivered twice
  finds the row and does nothing; a person who claimed first keeps their claim.
- `pay_chunk` pays the chunk's claims through the pipeline's payment step (the one every
  claim takes, subsidies/payments.py): one payment file, what it confirms booked in bulk.
  The keys are the claims' own, so a chunk paid twice, or a payment also retried one by
  one, is paid once.
Bulk all the way: a chunk costs a handful of statements, not a few per claim. The run's
facts are the bulk extracts and its decisions one vectorised evaluation; from there a
batch claim is reserved and paid by the same code as a claim made by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from datahub.extracts.reading import SnapshotMissing
from enterprises.models import Enterprise, EnterpriseStatus
from enterprises.persons.models import Person
from policies import evaluation
from policies.evaluation import evaluate_all
from policies.models import Beneficiary, DeliveryMode, PolicyVersion
from qinqing.audit.services import record_rows
from qinqing.bulk import any_of, insert_values, plan_by_keys
from qinqing.foreign_keys import check_foreign_keys_now
from qinqing.masking import mask_name
from qinqing.queueing import queue, queue_on_commit
from qinqing.transitions import move_many

from .chunk_rows import PERSON_PAYMENT_FACTS, facts_by_row, person_rows_at
from .claims import period_key
from .gateway import GatewayError
from .models import BatchChunk, BatchRun, Claim, ClaimStatus, DisbursementStatus, claim_label
from .notifications import notify_claims
from .payments import (
    Payment,
    budget_left,
    disburse_values,
    pay_claims,
    reserve_budget,
    send,
)
from .selectors import claims_of

CHUNK = 2000
# A persons' run reads and decides its persons in parts of this many ids (_start_persons).
PERSONS_PER_PART = 500_000
DECIDE_TASK = "subsidies.tasks.decide_batch_chunk"
PAY_TASK = "subsidies.tasks.pay_batch_chunk"


BATCH_MODES = (DeliveryMode.AUTOMATIC, DeliveryMode.CONFIRM)
START_TASK = "subsidies.tasks.start_batch_run"
RESUME_TASK = "subsidies.tasks.resume_reevaluations"


def start_on_publish(sender, version: PolicyVersion, **kwargs) -> None:
    """Publishing an automatic or confirm version finds everyone it fits (the mode as it
    was when published decides)."""
    if version.policy.delivery_mode in BATCH_MODES:
        queue(START_TASK, version.pk)


def start(version_id: int) -> BatchRun | None:
    """Evaluate every enterprise and queue the qualifying ones' chunks. Starting a run
    again (after a crash) queues every chunk again: those already done are skipped."""
    version = PolicyVersion.objects.select_related("policy").get(pk=version_id)
    if version.policy.delivery_mode not in BATCH_MODES:
        return None
    run, created = BatchRun.objects.get_or_create(
        version=version, defaults={"status": BatchRun.Status.RUNNING}
    )
    if not created and run.status == BatchRun.Status.DONE:
        return run
    if version.beneficiary == Beneficiary.PERSON:
        return _start_persons(version, run)
    try:
        decision = evaluate_all(version)
    except SnapshotMissing as error:
        with transaction.atomic():
            move_many(BatchRun, [run.pk], BatchRun.Status.FAILED, detail=str(error)[:300])
        return BatchRun.objects.get(pk=run.pk)
    qualifying = decision.eligible & ~np.isin(decision.enterprise_ids, _not_in_business())
    rows = np.flatnonzero(qualifying)
    ids = decision.enterprise_ids[rows].tolist()
    amounts = decision.amount_fen[rows].tolist()
    snapshot_times = list(decision.snapshot.refreshed_at.values())
    with transaction.atomic():
        move_many(
            BatchRun, [run.pk], BatchRun.Status.RUNNING, enterprises=len(decision.enterprise_ids),
            qualified=len(ids), chunks=(len(ids) + CHUNK - 1) // CHUNK, finished_at=None,
            extracts_as_of=min(snapshot_times) if snapshot_times else None,
        )  # fmt: skip
    rules_on = decision.rules_on.isoformat()
    names = version.rules.fact_names
    for number, begin in enumerate(range(0, len(ids), CHUNK)):
        end = begin + CHUNK
        # Each chunk's facts made as it is queued: the first chunks are being decided by
        # the other workers while this one prepares the rest.
        queue(DECIDE_TASK, run.pk, number, ids[begin:end], amounts[begin:end],
              facts_by_row(decision.snapshot, names, rows[begin:end]), rules_on)  # fmt: skip
    _finish_if_complete(run.pk)
    return BatchRun.objects.get(pk=run.pk)


def _start_persons(version: PolicyVersion, run: BatchRun) -> BatchRun:
    """A version paying persons: every person the data qualifies (evaluate_all_persons,
    over the person extracts and their employers' facts), each once, in chunks like the
    enterprises'. Each chunk's rows carry the person, their employer (the claim's
    enterprise) and the account of their social security card, read from the extracts in
    the evaluation's own pass and turned into a chunk's rows as that chunk is queued.
    The persons are read and decided in parts of PERSONS_PER_PART ids
    (evaluate_persons_in_parts), each part's chunks queued before the next part is read:
    the other workers begin after the first part, not after all five million. The run
    counts what each part adds, and is not finished while parts are still to come
    (`queued_all`, checked by _finish_if_complete)."""
    with transaction.atomic():
        move_many(BatchRun, [run.pk], BatchRun.Status.RUNNING, enterprises=0, qualified=0,
                  chunks=0, queued_all=False, finished_at=None, extracts_as_of=None)  # fmt: skip
    closed = _not_in_business()
    names = version.rules.fact_names
    number = 0
    try:
        parts = evaluation.evaluate_persons_in_parts(version, PERSONS_PER_PART,
                                                     also_read=PERSON_PAYMENT_FACTS)  # fmt: skip
        for decision in parts:
            employers = np.asarray(decision.employer_ids, dtype=np.int64)
            qualifying = (np.asarray(decision.eligible, dtype=bool) & (employers >= 0)
                          & ~np.isin(employers, closed))  # fmt: skip
            rows = np.flatnonzero(qualifying)
            snapshot = decision.snapshot
            ids = employers[rows].tolist()
            amounts = np.asarray(decision.amount_fen)[rows].tolist()
            refreshed = list(getattr(snapshot, "refreshed_at", {}).values())
            rules_on = (getattr(decision, "rules_on", None) or timezone.localdate()).isoformat()
            chunks = (len(ids) + CHUNK - 1) // CHUNK
            # Counted before its chunks are queued: the run never looks decided early.
            BatchRun.objects.filter(pk=run.pk).update(
                enterprises=F("enterprises") + len(decision.person_ids),
                qualified=F("qualified") + len(ids), chunks=F("chunks") + chunks,
                extracts_as_of=Coalesce(F("extracts_as_of"),
                                        Value(min(refreshed) if refreshed else None)),
            )  # fmt: skip
            for begin in range(0, len(ids), CHUNK):
                end = begin + CHUNK
                part = rows[begin:end]
                queue(DECIDE_TASK, run.pk, number, ids[begin:end], amounts[begin:end],
                      facts_by_row(snapshot, names, part), rules_on,
                      person_rows_at(snapshot, part))  # fmt: skip
                number += 1
    except SnapshotMissing as error:
        with transaction.atomic():
            move_many(BatchRun, [run.pk], BatchRun.Status.FAILED, detail=str(error)[:300])
        return BatchRun.objects.get(pk=run.pk)
    BatchRun.objects.filter(pk=run.pk).update(queued_all=True)
    _finish_if_complete(run.pk)
    return BatchRun.objects.get(pk=run.pk)


def _not_in_business() -> np.ndarray:
    # Unordered: the register's default order (by name) would sort every closed enterprise.
    closed = Enterprise.objects.exclude(status=EnterpriseStatus.ACTIVE).order_by()
    ids = closed.values_list("pk", flat=True)
    return np.fromiter(ids, dtype=np.int64)


def decide_chunk(run_id: int, number: int, enterprise_ids: list[int], amounts_fen: list[int],
                 facts: list[dict] | None = None, rules_on: str | None = None,
                 persons: list[list] | None = None) -> int:  # fmt: skip
    """Make (or find) the chunk's claims; returns how many were made. A claim made by hand
    meanwhile wins: the chunk is retried without that enterprise (or person). `persons`:
    a version paying persons, one row per claim (person_rows()); `enterprise_ids` are
    then their employers."""
    for _attempt in range(5):
        try:
            return _decide_chunk(run_id, number, enterprise_ids, amounts_fen, facts or [],
                                 rules_on, persons)  # fmt: skip
        except IntegrityError:
            continue  # a claim appeared between the check and the insert: look again
    raise RuntimeError(f"batch chunk {run_id}/{number} kept colliding with other claims")


def _decide_chunk(run_id: int, number: int, enterprise_ids: list[int], amounts_fen: list[int],
                  facts: list[dict], rules_on: str | None,
                  persons: list[list] | None = None) -> int:  # fmt: skip
    run = BatchRun.objects.select_related("version__policy").get(pk=run_id)
    # The run's day, not the chunk's: a run that crosses midnight at a year's end files
    # every claim under one period.
    period = period_key(run.version, timezone.localdate(run.started_at))
    return decide_claims(
        BatchChunk, {"run_id": run.pk}, number, run.version, period, enterprise_ids,
        amounts_fen, facts, {"run": run.pk, "rules_on": rules_on},
        partial(_after_decided, run.pk, number), persons=persons,
    )  # fmt: skip


def decide_claims(chunk_model, owner: dict[str, int], number: int, version: PolicyVersion,
                  period: str, enterprise_ids: list[int], amounts_fen: list[int],
                  facts: list[dict], source: dict[str, Any], after,
                  persons: list[list] | None = None) -> int:  # fmt: skip
    """One chunk's claims made, reserved and booked in one transaction with its chunk row
    (`chunk_model` with `owner`: a batch run's or a re-evaluation's), in a handful of
    set-based statements over plain values: the claims, their audit rows and their
    disbursements written by the one bulk writer, the chunk's total reserved with one
    conditional UPDATE as the transaction's last statement (the budget row is held for
    the commit only). `after(Decided)` on commit: the caller pays at once.
    A chunk delivered twice finds its row: nothing is made again, and what the first
    delivery left unpaid (a worker killed after the commit) is paid with the same keys.
    An enterprise that already holds a claim for the period keeps it.
    `persons` (a version paying persons): one row per claim, [person id, bank name, bank
    account, insured since] (person_rows()), `enterprise_ids` their employers; a person
    who already holds a claim for the period (by any route, from any employer) keeps it:
    each person is paid once, to the account of their social security card (the ledger's
    `person:<pk>`), the claim's enterprise the employer whose insurance qualified them."""
    policy = version.policy
    offered = policy.delivery_mode == DeliveryMode.CONFIRM
    by_person = persons is not None
    subject, subject_ids = (("person_id", [int(row[0]) for row in persons]) if by_person
                            else ("enterprise_id", list(enterprise_ids)))  # fmt: skip
    with transaction.atomic():
        plan_by_keys()
        chunk, created = chunk_model.objects.get_or_create(number=number, **owner)
        if not created:
            if chunk.paid_at is None:
                unpaid = list(Claim.objects.filter(
                    policy=policy, period=period, origin="batch", status=ClaimStatus.PAYING,
                    **{f"{subject}__in": subject_ids},
                ).values_list("pk", flat=True))  # fmt: skip
                transaction.on_commit(partial(after, Decided(retry=unpaid)))
            return 0  # delivered twice: the first delivery made the claims
        candidates = (_person_candidates(policy, period, enterprise_ids, persons) if by_person
                      else _enterprise_candidates(policy, period, enterprise_ids))  # fmt: skip
        left = None if offered else budget_left(version)
        reserved = Decimal(0)
        rows: list[tuple] = []
        kept: list[tuple[_Candidate, Decimal, str]] = []
        basis = {"status": "eligible", "criteria": [], "source": "batch", **source}
        cent = Decimal("0.01")
        for candidate in candidates:
            index = candidate.index
            amount = (Decimal(int(amounts_fen[index])) / 100).quantize(cent)
            if offered:
                status = ClaimStatus.OFFERED
            elif left is not None and reserved + amount <= left:
                status, reserved = ClaimStatus.PAYING, reserved + amount
            else:
                status = ClaimStatus.BUDGET_EXHAUSTED
            row = (candidate.enterprise_id, policy.pk, version.pk, period, "batch", amount,
                   status, {**basis, "amount": str(amount), **candidate.decision},
                   {"values": facts[index]} if index < len(facts) else None)  # fmt: skip
            rows.append((*row, candidate.person_id) if by_person else row)
            kept.append((candidate, amount, status))
        claim_ids = insert_values(Claim, PERSON_CLAIM_FIELDS if by_person else CLAIM_FIELDS, rows)
        origin = {key: value for key, value in source.items() if key != "rules_on"}
        record_rows(actor=None, model=Claim, events=[
            (f"claim.{status}", pk, claim_label(policy.code, period, candidate.uscc,
                                                candidate.person_id), None,
             {"status": status, "found": ClaimStatus.ELIGIBLE, "source": "batch", **origin})
            for pk, (candidate, _amount, status) in zip(claim_ids, kept, strict=True)
        ])  # fmt: skip
        paying = [(pk, candidate, amount) for pk, (candidate, amount, status)
                  in zip(claim_ids, kept, strict=True) if status == ClaimStatus.PAYING]  # fmt: skip
        payments = disburse_values(
            [(pk, candidate.enterprise_id, amount, candidate.bank_name, candidate.bank_account)
             for pk, candidate, amount in paying],
            policy=policy, version=version, period=period,
            payees={pk: candidate.payee for pk, candidate, _amount in paying if candidate.payee},
            persons={pk for pk, candidate, _amount in paying if candidate.person_id},
        )  # fmt: skip
        counted = dict.fromkeys(
            (ClaimStatus.OFFERED, ClaimStatus.PAYING, ClaimStatus.BUDGET_EXHAUSTED), 0
        )
        for _candidate, _amount, status in kept:
            counted[status] += 1
        chunk_model.objects.filter(pk=chunk.pk).update(
            made=len(kept), offered=counted[ClaimStatus.OFFERED],
            paying=counted[ClaimStatus.PAYING], exhausted=counted[ClaimStatus.BUDGET_EXHAUSTED],
        )  # fmt: skip
        # Last, so the budget's row lock lasts only until the commit that follows, and
        # after the chunk's foreign-key checks (not held through them at the commit).
        if reserved:
            check_foreign_keys_now()
            if not reserve_budget(version, reserved):
                raise IntegrityError("the budget moved since it was read")  # retried
        offered_ids = [pk for pk, (_candidate, _amount, status) in zip(claim_ids, kept, strict=True)
                       if status == ClaimStatus.OFFERED]  # fmt: skip
        transaction.on_commit(partial(after, Decided(payments=payments, offered=offered_ids)))
    return len(kept)


CLAIM_FIELDS = ("enterprise_id", "policy_id", "version_id", "period", "origin", "amount",
                "status", "decision", "facts")  # fmt: skip
PERSON_CLAIM_FIELDS = (*CLAIM_FIELDS, "person_id")


@dataclass(frozen=True)
class _Candidate:
    """One row of a chunk that may become a claim: where its amount and facts are in the
    chunk (`index`), whom it pays and how the trail and the payment file name it."""

    index: int
    enterprise_id: int
    uscc: str
    bank_name: str
    bank_account: str
    person_id: int | None = None
    payee: str = ""  # a person's masked name, for the payment file
    decision: dict[str, Any] = field(default_factory=dict)  # kept with the claim's decision


def _enterprise_candidates(policy, period: str, enterprise_ids: list[int]) -> list[_Candidate]:
    """The chunk's enterprises still in business that hold no claim for the period."""
    # A person's claim names their employer: it does not take the enterprise's place.
    taken = {enterprise_id for enterprise_id, person in claims_of(
        "enterprise_id", enterprise_ids, policy_id=policy.pk, period=period,
        fields=("enterprise_id", "person_id")) if person is None}  # fmt: skip
    register = {
        pk: (uscc, bank_name, bank_account)
        for pk, uscc, bank_name, bank_account in Enterprise.objects.filter(
            any_of("pk", [pk for pk in enterprise_ids if pk not in taken]),
            status=EnterpriseStatus.ACTIVE,
        ).values_list("pk", "uscc", "bank_name", "bank_account")
    }
    return [_Candidate(index, enterprise_id, *register[enterprise_id])
            for index, enterprise_id in enumerate(enterprise_ids)
            if enterprise_id in register]  # fmt: skip


def _person_candidates(policy, period: str, employer_ids: list[int],
                       persons: list[list]) -> list[_Candidate]:  # fmt: skip
    """The chunk's persons who hold no claim for the period (from any employer), each
    once, whose employer is in business: paid to the card's account from the extract."""
    person_ids = [int(row[0]) for row in persons]
    held = claims_of("person_id", person_ids, policy_id=policy.pk, period=period,
                     fields=("person_id",))  # fmt: skip
    taken = {person_id for (person_id,) in held}
    employers = dict(Enterprise.objects.filter(
        any_of("pk", set(employer_ids)), status=EnterpriseStatus.ACTIVE,
    ).values_list("pk", "uscc"))  # fmt: skip
    names = dict(Person.objects.filter(any_of("pk", [pk for pk in person_ids if pk not in taken]))
                 .values_list("pk", "name"))  # fmt: skip
    candidates: list[_Candidate] = []
    seen: set[int] = set()
    for index, (employer_id, row) in enumerate(zip(employer_ids, persons, strict=True)):
        person_id = int(row[0])
        if person_id in seen or person_id not in names or employer_id not in employers:
            continue
        seen.add(person_id)
        candidates.append(_Candidate(
            index, employer_id, employers[employer_id], row[1], row[2], person_id=person_id,
            payee=mask_name(names[person_id]), decision={"insured_since": row[3]},
        ))  # fmt: skip
    return candidates


@dataclass
class Decided:
    """What a chunk's decision leaves to pay and to tell, once committed. `retry`: claims
    of a chunk decided earlier still paying (its first delivery died before paying)."""

    payments: list[Payment] = field(default_factory=list)
    offered: list[int] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)


def settle(chunk_model, chunk: dict[str, int], decided: Decided, pay_task: str,
           task_args: tuple) -> None:  # fmt: skip
    """Pay a chunk as soon as it is decided, in the worker that decided it: one payment
    file, booked set-based (payments.send). Claims with nothing to send (no account on
    record) end as pay_claims() ends them; an unreachable treasury leaves the chunk to
    `pay_task(*task_args, claim_ids)`, retried with back-off."""
    if decided.offered:
        notify_claims(decided.offered, ClaimStatus.OFFERED)
    tally = chunk_tally(chunk_model, chunk)
    sent = [p for p in decided.payments if p.status == DisbursementStatus.SENT]
    unsent = [p.claim_id for p in decided.payments if p.status != DisbursementStatus.SENT]
    unsent += decided.retry
    try:
        if unsent:
            pay_claims(unsent, tally=tally)
        if sent:
            send(sent, tally=tally)
    except GatewayError:
        queue(pay_task, *task_args, [p.claim_id for p in sent] + unsent)
        return
    chunk_model.objects.filter(**chunk, paid_at__isnull=True).update(paid_at=timezone.now())


def _after_decided(run_id: int, number: int, decided: Decided) -> None:
    settle(BatchChunk, {"run_id": run_id, "number": number}, decided, PAY_TASK,
           (run_id, number))  # fmt: skip
    _finish_if_complete(run_id)


def pay_chunk(run_id: int, number: int, claim_ids: list[int]) -> int:
    """Pay the chunk's claims as one payment file (again: the treasury could not be
    reached when it was decided); returns how many were confirmed now. Raises
    GatewayError when the treasury could not take the file (the task retries)."""

    paid = pay_counted(BatchChunk, {"run_id": run_id, "number": number}, claim_ids)
    _mark_chunk_paid(run_id, number)
    return len(paid)


def chunk_tally(chunk_model, chunk: dict[str, int]):
    """The chunk row's paid/failed counts, kept in the transaction that books them."""

    def tally(outcome: str, count: int) -> None:
        chunk_model.objects.filter(**chunk).update(**{outcome: F(outcome) + count})

    return tally


def pay_counted(chunk_model, chunk: dict[str, int], claim_ids: list[int]) -> list[int]:
    """Pay a chunk's claims as one payment file, its row's paid/failed counts kept in the
    transaction that books them. Raises GatewayError as pay_claims() does."""
    return pay_claims(claim_ids, tally=chunk_tally(chunk_model, chunk))


def _mark_chunk_paid(run_id: int, number: int) -> None:
    BatchChunk.objects.filter(run_id=run_id, number=number, paid_at__isnull=True).update(
        paid_at=timezone.now()
    )
    _finish_if_complete(run_id)


def _finish_if_complete(run_id: int) -> None:
    """Decided when every chunk has its row; done when every chunk's payments are through.
    One aggregate and one UPDATE (a chunk calls this as it ends: it is on the hot path)."""
    counted = BatchChunk.objects.filter(run_id=run_id).aggregate(
        decided=Count("pk"), paid=Count("pk", filter=Q(paid_at__isnull=False))
    )
    decided, paid = counted["decided"], counted["paid"]
    now = timezone.now()
    # Neither decided nor done while a persons' run is still queueing parts (queued_all).
    BatchRun.objects.filter(pk=run_id).update(
        chunks_done=decided,
        decided_at=Coalesce(F("decided_at"),
                            Case(When(chunks__lte=decided, queued_all=True, then=Value(now)))),
    )  # fmt: skip
    all_paid = BatchRun.objects.filter(pk=run_id, status=BatchRun.Status.RUNNING,
                                       queued_all=True, chunks__lte=paid)  # fmt: skip
    if all_paid.exists():
        with transaction.atomic():  # a run finished meanwhile by another chunk is left alone
            if move_many(BatchRun, [run_id], BatchRun.Status.DONE, finished_at=now):
                # Facts that changed while it was paying: their re-evaluations waited for
                # it (subsidies/reevaluation.py locks this row to decide that).
                version_id = BatchRun.objects.values_list("version_id", flat=True).get(pk=run_id)
                queue_on_commit(RESUME_TASK, version_id)


def progress(run: BatchRun) -> dict[str, Any]:
    """Live figures for the officials' page: one aggregate over the run's chunk rows."""
    totals = BatchChunk.objects.filter(run=run).aggregate(
        made=Sum("made"), offered=Sum("offered"), paying=Sum("paying"),
        exhausted=Sum("exhausted"), paid=Sum("paid"), failed=Sum("failed"),
    )  # fmt: skip
    figures = {name: value or 0 for name, value in totals.items()}
    # The money the run's claims received: what the treasury confirmed, not what was owed.
    figures["amount_paid"] = Claim.objects.filter(
        version_id=run.version_id, origin="batch", status=ClaimStatus.PAID
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    figures.update(evaluated=run.enterprises, qualified=run.qualified, chunks=run.chunks,
                   chunks_decided=run.chunks_done)  # fmt: skip
    return figures
