"""Thin, idempotent tasks: each calls a service that checks the claim's state first."""

from celery import shared_task

from . import services
from .gateway import GatewayError


@shared_task(name="subsidies.tasks.check_claim", acks_late=True)
def check_claim(claim_id: int) -> str:
    return services.check(claim_id).status


@shared_task(name="subsidies.tasks.pay_claim", acks_late=True, bind=True, max_retries=5)
def pay_claim(self, claim_id: int) -> str:
    if self.request.is_eager:
        # Embedded mode (no broker): retry in place; Celery's retry would raise instead.
        for _attempt in range(self.max_retries):
            try:
                return services.pay(claim_id).status
            except GatewayError:
                continue
        return services.payment_failed(claim_id, "the treasury did not accept the payment").status
    try:
        return services.pay(claim_id).status
    except GatewayError as error:
        if self.request.retries >= self.max_retries:
            return services.payment_failed(claim_id, str(error)).status
        raise self.retry(exc=error, countdown=2**self.request.retries) from error


@shared_task(name="subsidies.tasks.recheck_waiting_claims")
def recheck_waiting_claims() -> int:
    due = services.due_rechecks()
    for claim_id in due:
        check_claim.delay(claim_id)
    return len(due)


@shared_task(name="subsidies.tasks.reconcile_payments")
def reconcile_payments() -> list[str]:
    return services.reconcile()


@shared_task(name="subsidies.tasks.start_batch_run", acks_late=True)
def start_batch_run(version_id: int) -> str | None:
    from .batch import start

    run = start(version_id)
    return run.status if run else None


@shared_task(name="subsidies.tasks.process_batch_chunk", acks_late=True)
def process_batch_chunk(run_id: int, enterprise_ids: list[int], amounts_fen: list[int]) -> int:
    from .batch import process_chunk

    return process_chunk(run_id, enterprise_ids, amounts_fen)
