"""Thin, idempotent tasks: each calls a service that checks the item's state first."""

from celery import shared_task

from . import services


@shared_task(name="approvals.tasks.auto_decide_item", acks_late=True)
def auto_decide_item(item_id: int) -> str:
    return services.auto_decide(item_id).status


@shared_task(name="approvals.tasks.watch_approval_deadlines")
def watch_approval_deadlines() -> dict[str, int]:
    """Beat: 80 % warnings and escalations, each sent once per item."""
    return services.watch_deadlines()
