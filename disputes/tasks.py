"""Thin, idempotent tasks: each calls a service that checks state first."""

from celery import shared_task

from .services import watch_deadlines


@shared_task(name="disputes.tasks.watch_dispute_deadlines")
def watch_dispute_deadlines() -> dict[str, int]:
    """Beat: 80 % warnings and escalations, each sent once per dispute."""
    return watch_deadlines()
