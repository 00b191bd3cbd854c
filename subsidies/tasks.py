"""Thin, idempotent tasks: each calls a service that checks the claims' state first. The
services queue them by name (qinqing/queueing.py), never by importing this module."""

from celery import shared_task

from accounts.models import User
from qinqing.celery import PLAIN_JSON
from qinqing.queueing import queue

from . import checkqueue, reevaluation, sweeps
from .batch import decide_chunk, pay_chunk, start
from .gateway import GatewayError, PaymentRefused
from .models import Claim
from .payments import fail_payments, pay_claims, resume_stalled_payments
from .pipeline import CHECK_BATCH, check, check_many, due_rechecks
from .reconciliation import reconcile


@shared_task(name="subsidies.tasks.check_claim", acks_late=True)
def check_claim(claim_id: int) -> str:
    return check(claim_id).status


@shared_task(name="subsidies.tasks.check_claims", acks_late=True)
def check_claims(claim_ids: list[int]) -> int:
    """Decide these claims together (queued by the owed-work sweep)."""
    check_many(claim_ids)
    return len(claim_ids)


@shared_task(name="subsidies.tasks.check_waiting_claims", acks_late=True)
def check_waiting_claims(slot: int = 0) -> int:
    """Decide (and pay) the claims waiting to be checked, those waiting at each look
    together, until none waits (subsidies/checkqueue.py)."""
    return checkqueue.work(slot, CHECK_BATCH, check_many)


@shared_task(name="subsidies.tasks.pay_claim", acks_late=True, bind=True, max_retries=5)
def pay_claim(self, claim_id: int) -> str:
    """A refusal ends the claim "payment failed"; an unreachable treasury is tried again
    with back-off, and after that the claim stays paying for resume_stalled_payments():
    an outage never fails a claim, and a payment that may have gone through is never
    written off."""
    for _attempt in range(self.max_retries if self.request.is_eager else 1):
        try:
            pay_claims([claim_id])
            break
        except PaymentRefused as refusal:
            fail_payments({claim_id: str(refusal)})
            break
        except GatewayError as error:
            if self.request.is_eager:
                continue  # embedded mode: retry in place; Celery's retry would raise
            if self.request.retries < self.max_retries:
                raise self.retry(exc=error, countdown=2**self.request.retries) from error
    return Claim.objects.values_list("status", flat=True).get(pk=claim_id)


@shared_task(name="subsidies.tasks.recheck_waiting_claims")
def recheck_waiting_claims() -> int:
    """Beat: claims waiting for department data, and payments a worker left unfinished."""
    due = due_rechecks()
    for claim_id in due:
        queue("subsidies.tasks.check_claim", claim_id)
    checkqueue.kick()  # claims on the check list whose task was lost
    return len(due) + len(resume_stalled_payments())


@shared_task(name="subsidies.tasks.queue_owed_work")
def queue_owed_work() -> dict[str, int]:
    """Beat, every 15 s: work saved while the broker was down, queued (subsidies/sweeps.py)."""
    return sweeps.queue_owed_work()


@shared_task(name="subsidies.tasks.reconcile_payments")
def reconcile_payments(triggered_by_id: int | None = None) -> list[str]:
    """Daily by beat, or queued by an administrator from the report page."""
    user = User.objects.filter(pk=triggered_by_id).first() if triggered_by_id else None
    return reconcile(triggered_by=user).problems


@shared_task(name="subsidies.tasks.start_batch_run", acks_late=True)
def start_batch_run(version_id: int) -> str | None:
    run = start(version_id)
    return run.status if run else None


@shared_task(name="subsidies.tasks.decide_batch_chunk", acks_late=True, serializer=PLAIN_JSON)
def decide_batch_chunk(run_id: int, number: int, enterprise_ids: list[int],
                       amounts_fen: list[int], facts: list[dict] | None = None,
                       rules_on: str | None = None,
                       persons: list[list] | None = None) -> int:  # fmt: skip
    return decide_chunk(run_id, number, enterprise_ids, amounts_fen, facts, rules_on, persons)


@shared_task(name="subsidies.tasks.pay_batch_chunk", acks_late=True, bind=True, max_retries=8)
def pay_batch_chunk(self, run_id: int, number: int, claim_ids: list[int]) -> int:
    """One payment file per chunk; an unavailable treasury is tried again with back-off,
    and what is still unpaid after that is left to the stalled-payment sweep."""
    try:
        return pay_chunk(run_id, number, claim_ids)
    except GatewayError as error:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            return 0  # resume_stalled_payments() takes them one by one later
        raise self.retry(exc=error, countdown=min(2**self.request.retries, 60)) from error


@shared_task(name="subsidies.tasks.reevaluate", acks_late=True)
def reevaluate(reevaluation_id: int) -> int:
    """Facts changed: the open automatic and confirm versions evaluated again for the
    enterprises concerned (subsidies/reevaluation.py)."""
    return reevaluation.reevaluate(reevaluation_id).runs.count()


@shared_task(name="subsidies.tasks.resume_reevaluations", acks_late=True)
def resume_reevaluations(version_id: int) -> int:
    """The version's batch run is done: the re-evaluations that waited for it run."""
    return reevaluation.resume(version_id)


@shared_task(name="subsidies.tasks.decide_reevaluation_chunk", acks_late=True,
             serializer=PLAIN_JSON)  # fmt: skip
def decide_reevaluation_chunk(run_id: int, number: int, enterprise_ids: list[int],
                              amounts_fen: list[int], facts: list[dict] | None = None,
                              rules_on: str | None = None,
                              persons: list[list] | None = None) -> int:  # fmt: skip
    return reevaluation.decide_chunk(run_id, number, enterprise_ids, amounts_fen, facts, rules_on,
                                     persons)  # fmt: skip


@shared_task(name="subsidies.tasks.pay_reevaluation_chunk", acks_late=True, bind=True,
             max_retries=8)  # fmt: skip
def pay_reevaluation_chunk(self, run_id: int, number: int, claim_ids: list[int]) -> int:
    """As pay_batch_chunk: the stalled-payment sweep takes what is left after retries."""
    try:
        return reevaluation.pay_chunk(run_id, number, claim_ids)
    except GatewayError as error:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            return 0
        raise self.retry(exc=error, countdown=min(2**self.request.retries, 60)) from error
