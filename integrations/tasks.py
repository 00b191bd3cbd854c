"""Thin tasks: the services do the work and are safe to run twice."""

import time

from celery import shared_task

from . import delivering, dispatching

# A run hands out batches until the outbox is empty or this much time has passed (the
# soft time limit is 60 s); the next announcement or the sweep continues.
DISPATCH_SECONDS = 40


@shared_task(ignore_result=True)
def dispatch_events() -> int:
    """The outbox to deliveries: on every commit that wrote events, and every minute."""
    handled, started = 0, time.monotonic()
    while time.monotonic() - started < DISPATCH_SECONDS:
        batch = dispatching.dispatch_pending()
        handled += batch
        if batch < dispatching.DISPATCH_BATCH:
            break
    return handled


@shared_task(ignore_result=True)
def deliver_webhook(delivery_id: int) -> None:
    delivering.deliver(delivery_id)


@shared_task(ignore_result=True)
def deliver_due_webhooks() -> int:
    """Every minute: retries whose time has come, and leases left by a dead worker; each
    queued once (a delivery already waiting in the queue is left there)."""
    return len(dispatching.queue_due_deliveries())
