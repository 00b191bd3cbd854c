""" "Enjoy without applying": when a version in automatic or confirm mode is published,
every qualifying enterprise is found in one batch evaluation over the bulk extracts and
gets a claim: paid straight away (automatic) or offered for one click (confirm).

A run is cut into chunks, each a task any worker can take:
- `decide_chunk` makes the chunk's claims, reserves their budget and creates their
  disbursements in one transaction, with its `BatchChunk` row: a chunk delivered twice
  finds the row and does nothing; a person who claimed first keeps their claim.
- `pay_chunk` sends the chunk's payments to the treasury as one payment file and books
  what it confirms, in bulk. The keys are the claims' own, so a chunk paid twice, or a
  payment also retried one by one, is paid once.
Bulk all the way: a chunk costs a handful of statements, not a few per claim.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from datahub.catalogue import CATALOGUE
from datahub.normalise import to_json
from datahub.simulation import python_value
from datahub.snapshots import SnapshotMissing
from enterprises.models import Enterprise, EnterpriseStatus
from enterprises.selectors import can_edit_enterprise
from policies.evaluation import evaluate_all
from policies.models import DeliveryMode, PolicyVersion
from qinqing.audit.services import record_events, record_rows
from qinqing.bulk import bulk_insert

from .events import claims_paid
from .gateway import GatewayError, OutcomeUnknown, PaymentOrder, gateway
from .models import (
    BatchChunk,
    BatchRun,
    Budget,
    Claim,
    ClaimStatus,
    Disbursement,
    DisbursementStatus,
)
from .services import (
    ClaimRefused,
    _move,
    _reserve_and_pay,
    disbursement_key,
    ensure_in_business,
    ledger_legs,
    period_key,
)

CHUNK = 2000


def start(version_id: int) -> BatchRun | None:
    """Evaluate every enterprise and queue the qualifying ones' chunks. Starting a run
    again (after a crash) queues every chunk again: those already done are skipped."""
    version = PolicyVersion.objects.select_related("policy").get(pk=version_id)
    if version.policy.delivery_mode not in (DeliveryMode.AUTOMATIC, DeliveryMode.CONFIRM):
        return None
    run, created = BatchRun.objects.get_or_create(
        version=version, defaults={"status": BatchRun.Status.RUNNING}
    )
    if not created and run.status == BatchRun.Status.DONE:
        return run
    try:
        decision = evaluate_all(version)
    except SnapshotMissing as error:
        BatchRun.objects.filter(pk=run.pk).update(status=BatchRun.Status.FAILED,
                                                  detail=str(error)[:300])  # fmt: skip
        return BatchRun.objects.get(pk=run.pk)
    qualifying = decision.eligible & ~np.isin(decision.enterprise_ids, _not_in_business())
    rows = np.flatnonzero(qualifying)
    ids = decision.enterprise_ids[rows].tolist()
    amounts = decision.amount_fen[rows].tolist()
    facts = _facts_by_row(decision.snapshot, version.rules.fact_names, rows)
    snapshot_times = list(decision.snapshot.refreshed_at.values())
    BatchRun.objects.filter(pk=run.pk).update(
        status=BatchRun.Status.RUNNING, enterprises=len(decision.enterprise_ids),
        qualified=len(ids), chunks=(len(ids) + CHUNK - 1) // CHUNK, finished_at=None,
        extracts_as_of=min(snapshot_times) if snapshot_times else None,
    )  # fmt: skip
    from .tasks import decide_batch_chunk

    rules_on = decision.rules_on.isoformat()
    for number, begin in enumerate(range(0, len(ids), CHUNK)):
        end = begin + CHUNK
        decide_batch_chunk.delay(run.pk, number, ids[begin:end], amounts[begin:end],
                                 facts[begin:end], rules_on)  # fmt: skip
    _finish_if_complete(run.pk)
    return BatchRun.objects.get(pk=run.pk)


def _not_in_business() -> np.ndarray:
    ids = Enterprise.objects.exclude(status=EnterpriseStatus.ACTIVE).values_list("pk", flat=True)
    return np.fromiter(ids, dtype=np.int64)


def _facts_by_row(snapshot, names: Iterable[str], rows: np.ndarray) -> list[dict[str, Any]]:
    """Each qualifying enterprise's facts as JSON, kept with its claim (its explanation)."""
    columns = {}
    for name in names:
        values = snapshot.columns[name][rows]
        known = snapshot.known[name][rows]
        columns[name] = [to_json(python_value(CATALOGUE[name], values, index)) if known[index]
                         else None for index in range(len(rows))]  # fmt: skip
    return [{name: column[index] for name, column in columns.items()}
            for index in range(len(rows))]  # fmt: skip


def decide_chunk(run_id: int, number: int, enterprise_ids: list[int], amounts_fen: list[int],
                 facts: list[dict] | None = None, rules_on: str | None = None) -> int:  # fmt: skip
    """Make (or find) the chunk's claims; returns how many were made. A person's claim
    made meanwhile wins: the chunk is retried without that enterprise."""
    for _attempt in range(5):
        try:
            return _decide_chunk(run_id, number, enterprise_ids, amounts_fen, facts or [],
                                 rules_on)  # fmt: skip
        except IntegrityError:
            continue  # a claim appeared between the check and the insert: look again
    raise RuntimeError(f"batch chunk {run_id}/{number} kept colliding with other claims")


def _decide_chunk(run_id: int, number: int, enterprise_ids: list[int], amounts_fen: list[int],
                  facts: list[dict], rules_on: str | None) -> int:  # fmt: skip
    run = BatchRun.objects.select_related("version__policy").get(pk=run_id)
    version = run.version
    policy = version.policy
    # The run's day, not the chunk's: a run that crosses midnight at a year's end files
    # every claim under one period.
    period = period_key(version, timezone.localdate(run.started_at))
    offered = policy.delivery_mode == DeliveryMode.CONFIRM
    with transaction.atomic():
        chunk, created = BatchChunk.objects.get_or_create(run=run, number=number)
        if not created:
            return 0  # delivered twice: the first delivery made the claims
        taken = set(
            Claim.objects.filter(
                policy=policy, period=period, enterprise_id__in=enterprise_ids
            ).values_list("enterprise_id", flat=True)
        )
        enterprises = Enterprise.objects.in_bulk(
            [pk for pk in enterprise_ids if pk not in taken], field_name="pk"
        )
        budget_left = None if offered else _budget_left(version)
        claims: list[Claim] = []
        reserved = Decimal(0)
        for index, (enterprise_id, fen) in enumerate(zip(enterprise_ids, amounts_fen, strict=True)):
            enterprise = enterprises.get(enterprise_id)
            if enterprise is None or enterprise.status != EnterpriseStatus.ACTIVE:
                continue
            amount = (Decimal(int(fen)) / 100).quantize(Decimal("0.01"))
            if offered:
                status = ClaimStatus.OFFERED
            elif budget_left is not None and reserved + amount <= budget_left:
                status, reserved = ClaimStatus.PAYING, reserved + amount
            else:
                status = ClaimStatus.BUDGET_EXHAUSTED
            claims.append(Claim(
                enterprise=enterprise, policy=policy, version=version, period=period,
                origin="batch", amount=amount, status=status,
                decision={"status": "eligible", "amount": str(amount), "criteria": [],
                          "source": "batch", "run": run.pk, "rules_on": rules_on},
                facts={"values": facts[index]} if index < len(facts) else None,
            ))  # fmt: skip
        bulk_insert(claims)
        record_events(actor=None, events=_creation_events(claims, run.pk))
        paying = [claim for claim in claims if claim.status == ClaimStatus.PAYING]
        bulk_insert([
            Disbursement(claim=claim, idempotency_key=disbursement_key(claim.pk),
                         amount=claim.amount, bank_name=claim.enterprise.bank_name,
                         bank_account=claim.enterprise.bank_account)
            for claim in paying
        ])  # fmt: skip
        if reserved and not Budget.objects.filter(
            version=version, reserved__lte=F("total") - reserved
        ).update(reserved=F("reserved") + reserved):
            raise IntegrityError("the budget moved since it was read")  # retried
        counted = (ClaimStatus.OFFERED, ClaimStatus.PAYING, ClaimStatus.BUDGET_EXHAUSTED)
        by_status = {status: sum(1 for c in claims if c.status == status) for status in counted}
        BatchChunk.objects.filter(pk=chunk.pk).update(
            made=len(claims), offered=by_status[ClaimStatus.OFFERED],
            paying=by_status[ClaimStatus.PAYING], exhausted=by_status[ClaimStatus.BUDGET_EXHAUSTED],
        )  # fmt: skip
        paying_ids = [claim.pk for claim in paying]
        offered_ids = [claim.pk for claim in claims if claim.status == ClaimStatus.OFFERED]
        transaction.on_commit(lambda: _after_decided(run.pk, number, paying_ids, offered_ids))
    return len(claims)


def _budget_left(version: PolicyVersion) -> Decimal:
    budget, _created = Budget.objects.get_or_create(version=version,
                                                    defaults={"total": version.budget})  # fmt: skip
    return budget.total - budget.reserved


def _creation_events(claims: list[Claim], run_id: int):
    """One event per claim: a batch claim is created in its first state (offered, paying,
    or budget exhausted); that it was found eligible, and by which run, is in the event."""
    for claim in claims:
        yield (f"claim.{claim.status}", claim, None,
               {"status": claim.status, "found": ClaimStatus.ELIGIBLE, "source": "batch",
                "run": run_id})  # fmt: skip


def _after_decided(run_id: int, number: int, paying_ids: list[int], offered_ids: list[int]):
    from .notifications import notify_claims
    from .tasks import pay_batch_chunk

    if paying_ids:
        pay_batch_chunk.delay(run_id, number, paying_ids)
    if offered_ids:
        notify_claims(offered_ids, ClaimStatus.OFFERED)
    if not paying_ids:
        BatchChunk.objects.filter(run_id=run_id, number=number, paid_at__isnull=True).update(
            paid_at=timezone.now()
        )
    _finish_if_complete(run_id)


def pay_chunk(run_id: int, number: int, claim_ids: list[int]) -> int:
    """Pay the chunk's claims as one payment file; returns how many were confirmed now.
    Raises GatewayError when the treasury could not take the file (the task retries)."""
    with transaction.atomic():
        due = list(
            Disbursement.objects.select_for_update()
            .filter(claim_id__in=claim_ids, claim__status=ClaimStatus.PAYING,
                    status__in=[DisbursementStatus.PENDING, DisbursementStatus.SENT])
            .order_by("claim_id")
        )  # fmt: skip
        no_account = [d for d in due if not d.bank_account]
        due = [d for d in due if d.bank_account]
        Disbursement.objects.filter(pk__in=[d.pk for d in due]).update(
            status=DisbursementStatus.SENT, attempts=F("attempts") + 1
        )
    if no_account:
        _fail_many(run_id, number, {d.claim_id: "no bank account on record" for d in no_account})
    if not due:
        _mark_chunk_paid(run_id, number)
        return 0
    treasury = gateway()
    orders = [PaymentOrder(d.idempotency_key, d.amount, d.bank_account) for d in due]
    try:
        answers = {result.key: result for result in treasury.pay_many(orders)}
    except OutcomeUnknown:
        # Paid or not, nobody knows: ask about the same keys, never pay with new ones.
        answers = {order.key: treasury.status(key=order.key) for order in orders}
    except GatewayError as error:
        Disbursement.objects.filter(pk__in=[d.pk for d in due]).update(
            status=DisbursementStatus.PENDING, last_error=str(error)[:300]
        )
        raise
    confirmed = {d.pk: answers[d.idempotency_key].reference for d in due
                 if answers.get(d.idempotency_key) and
                 answers[d.idempotency_key].status == "confirmed"}  # fmt: skip
    refused = {d.claim_id: "refused by the treasury" for d in due
               if answers.get(d.idempotency_key) and
               answers[d.idempotency_key].status == "refused"}  # fmt: skip
    paid = confirm_many(confirmed, run_id=run_id, number=number)
    if refused:
        _fail_many(run_id, number, refused)
    _mark_chunk_paid(run_id, number)
    return paid


def confirm_many(references: dict[int, str], *, run_id: int | None = None,
                 number: int | None = None) -> int:  # fmt: skip
    """The treasury confirmed these disbursements (id → reference): each claim paid once,
    with its two ledger legs and its audit event, all in one transaction. Plain values
    and set-based statements: a chunk's thousands of payments cost a handful of queries."""
    if not references:
        return 0
    now = timezone.now()
    with transaction.atomic():
        # Claims first, then their disbursements: the order every service locks them in.
        paying = list(
            Claim.objects.select_for_update()
            .filter(disbursement__pk__in=list(references), status=ClaimStatus.PAYING)
            .order_by("pk").values_list("pk", flat=True)
        )  # fmt: skip
        rows = list(
            Disbursement.objects.select_for_update(of=("self",))
            .filter(claim_id__in=paying)
            .exclude(status=DisbursementStatus.CONFIRMED)
            .values_list("pk", "claim_id", "idempotency_key", "amount", "claim__period",
                         "claim__enterprise__uscc", "claim__policy__code",
                         "claim__version__number")
        )  # fmt: skip
        if not rows:
            return 0
        _set_confirmed({pk: references[pk] for pk, *_rest in rows}, now)
        legs = []
        for _pk, claim_id, key, amount, _period, uscc, code, number_ in rows:
            legs += ledger_legs(key=key, amount=amount, claim_id=claim_id, policy_code=code,
                                version_number=number_, uscc=uscc)  # fmt: skip
        bulk_insert(legs)
        paid_ids = [claim_id for _pk, claim_id, *_rest in rows]
        Claim.objects.filter(pk__in=paid_ids).update(status=ClaimStatus.PAID, updated_at=now)
        record_rows(actor=None, model=Claim, events=[
            (f"claim.{ClaimStatus.PAID}", claim_id, f"{code} {period} {uscc}",
             {"status": ClaimStatus.PAYING}, {"status": ClaimStatus.PAID})
            for _pk, claim_id, _key, _amount, period, uscc, code, _n in rows
        ])  # fmt: skip
        claims_paid(paid_ids)  # partners' outbox rows, in one bulk insert
        if run_id is not None:
            BatchChunk.objects.filter(run_id=run_id, number=number).update(
                paid=F("paid") + len(paid_ids)
            )
        transaction.on_commit(lambda: _notify(paid_ids, ClaimStatus.PAID))
    return len(paid_ids)


def _set_confirmed(references: dict[int, str], when) -> None:
    """Each disbursement its own treasury reference, in one statement on PostgreSQL (an
    ORM bulk_update builds a CASE per row, which took seconds per chunk)."""
    if connection.vendor == "postgresql":
        table = Disbursement._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS d SET status = %s, reference = v.reference, "  # noqa: S608
                "confirmed_at = %s FROM (SELECT unnest(%s::bigint[]) AS id, "
                "unnest(%s::text[]) AS reference) AS v WHERE d.id = v.id",
                [DisbursementStatus.CONFIRMED, when, list(references), list(references.values())],
            )
        return
    rows = list(Disbursement.objects.filter(pk__in=list(references)))
    for row in rows:
        row.status, row.reference, row.confirmed_at = (
            DisbursementStatus.CONFIRMED, references[row.pk], when,
        )  # fmt: skip
    Disbursement.objects.bulk_update(rows, ["status", "reference", "confirmed_at"])


def _fail_many(run_id: int, number: int, errors: dict[int, str]) -> None:
    """Payments the treasury will not make: the claims end "payment failed", with why."""
    with transaction.atomic():
        claims = list(
            Claim.objects.select_for_update(of=("self",))
            .select_related("enterprise", "policy")
            .filter(pk__in=list(errors), status=ClaimStatus.PAYING)
        )
        by_error: dict[str, list[int]] = {}
        for claim in claims:
            by_error.setdefault(errors[claim.pk][:300], []).append(claim.pk)
        for error, claim_ids in by_error.items():  # a few reasons, not one UPDATE a claim
            Disbursement.objects.filter(claim_id__in=claim_ids).update(
                status=DisbursementStatus.FAILED, last_error=error
            )
        ids = [claim.pk for claim in claims]
        Claim.objects.filter(pk__in=ids).update(status=ClaimStatus.PAYMENT_FAILED,
                                                updated_at=timezone.now())  # fmt: skip
        record_events(actor=None, events=[
            (f"claim.{ClaimStatus.PAYMENT_FAILED}", claim, {"status": ClaimStatus.PAYING},
             {"status": ClaimStatus.PAYMENT_FAILED}) for claim in claims
        ])  # fmt: skip
        BatchChunk.objects.filter(run_id=run_id, number=number).update(
            failed=F("failed") + len(ids)
        )
        transaction.on_commit(lambda: _notify(ids, ClaimStatus.PAYMENT_FAILED))


def _notify(claim_ids: list[int], status: str) -> None:
    from .notifications import notify_claims

    if claim_ids:
        notify_claims(claim_ids, status)


def _mark_chunk_paid(run_id: int, number: int) -> None:
    BatchChunk.objects.filter(run_id=run_id, number=number, paid_at__isnull=True).update(
        paid_at=timezone.now()
    )
    _finish_if_complete(run_id)


def _finish_if_complete(run_id: int) -> None:
    """Decided when every chunk has its row; done when every chunk's payments are through."""
    run = BatchRun.objects.get(pk=run_id)
    rows = BatchChunk.objects.filter(run_id=run_id)
    decided = rows.count()
    paid = rows.filter(paid_at__isnull=False).count()
    now = timezone.now()
    BatchRun.objects.filter(pk=run_id).update(chunks_done=decided)
    BatchRun.objects.filter(pk=run_id, decided_at__isnull=True, chunks__lte=decided).update(
        decided_at=now
    )
    if run.status != BatchRun.Status.DONE and paid >= run.chunks:
        BatchRun.objects.filter(pk=run_id).exclude(status=BatchRun.Status.DONE).update(
            status=BatchRun.Status.DONE, finished_at=now
        )


def progress(run: BatchRun) -> dict[str, int]:
    """Live figures for the officials' page: one aggregate over the run's chunk rows."""
    totals = BatchChunk.objects.filter(run=run).aggregate(
        made=Sum("made"), offered=Sum("offered"), paying=Sum("paying"),
        exhausted=Sum("exhausted"), paid=Sum("paid"), failed=Sum("failed"),
    )  # fmt: skip
    figures = {name: value or 0 for name, value in totals.items()}
    figures.update(evaluated=run.enterprises, qualified=run.qualified, chunks=run.chunks,
                   chunks_decided=run.chunks_done)  # fmt: skip
    return figures


def confirm_offer(claim_id: int, *, actor: Any) -> Claim:
    """One click: the enterprise accepts an offer; the payment follows."""
    with transaction.atomic():
        claim = (
            Claim.objects.select_for_update(of=("self",))
            .select_related("enterprise", "version", "policy")
            .get(pk=claim_id)
        )
        if not can_edit_enterprise(actor, claim.enterprise):
            raise ClaimRefused(_("Only the enterprise's own members may confirm its offers."))
        if claim.status != ClaimStatus.OFFERED:
            return claim
        ensure_in_business(claim.enterprise)  # revoked since the offer: nothing is paid
        _move(claim, ClaimStatus.ELIGIBLE, actor)
        return _reserve_and_pay(claim)
