"""Thin and idempotent: a rerun finds nothing older than the time to live."""

from celery import shared_task

from . import services


@shared_task(name="qinqing.idempotency.tasks.purge_expired_idempotency_keys", ignore_result=True)
def purge_expired_idempotency_keys() -> int:
    """Beat, hourly: Idempotency-Keys are remembered for 24 hours."""
    return services.purge_expired()
