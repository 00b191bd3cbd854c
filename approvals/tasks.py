"""Thin, idempotent tasks: each calls a service that checks the item's state first."""

from celery import shared_task

from .services.auto_decisions import auto_decide
from .services.deadlines import watch_deadlines


@shared_task(name="approvals.tasks.auto_decide_item", acks_late=True)
def auto_decide_item(item_id: int) -> str:
    return auto_decide(item_id).status


@shared_task(name="approvals.tasks.watch_approval_deadlines")
def watch_approval_deadlines() -> dict[str, int]:
    """Beat: 80 % warnings and escalations, each sent once per item."""
    return watch_deadlines()
