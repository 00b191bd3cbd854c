"""Thin, idempotent tasks (queued by name, qinqing/queueing.py)."""

from celery import shared_task

from subsidies.gateway import GatewayError

from .collection import collect as collect_one
from .rechecks import check_paid_claims as check_paid
from .services import unfinished_collections


@shared_task(name="recovery.tasks.collect", acks_late=True, bind=True, max_retries=5)
def collect(self, collection_id: int) -> str:
    """An unreachable treasury is tried again with back-off, by the same key (it collects a
    key once); after that the sweep asks again."""
    for _attempt in range(self.max_retries if self.request.is_eager else 1):
        try:
            return collect_one(collection_id)
        except GatewayError as error:
            if self.request.is_eager:
                continue
            if self.request.retries < self.max_retries:
                raise self.retry(exc=error, countdown=2**self.request.retries) from error
    return "pending"


@shared_task(name="recovery.tasks.resume_collections")
def resume_collections() -> int:
    """Collections a worker left unfinished: sent again by their own keys (never twice)."""
    ids = unfinished_collections()
    for collection_id in ids:
        try:
            collect_one(collection_id)
        except GatewayError:
            break
    return len(ids)


@shared_task(name="recovery.tasks.check_paid_claims")
def check_paid_claims(enterprise_ids: list[int], facts: list[str]) -> int:
    """A correction: the enterprises' paid claims checked again (never two orders)."""
    return len(check_paid(enterprise_ids, facts))
