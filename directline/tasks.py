"""Thin, idempotent tasks: each calls a service that checks state first."""

from celery import shared_task

from .services.deadlines import watch_deadlines
from .services.policy_push import push_changed, push_policy


@shared_task(name="directline.tasks.push_policy_version", acks_late=True)
def push_policy_version(version_id: int) -> int:
    """Tell the members of every enterprise a newly published version fits (once)."""
    return push_policy(version_id)


@shared_task(name="directline.tasks.push_to_changed", acks_late=True)
def push_to_changed(enterprise_ids: list[int], facts: list[str], cause: str) -> int:
    """Facts changed: the pushed versions that now fit some of these enterprises told to
    them (once)."""
    return push_changed(enterprise_ids, facts, cause)


@shared_task(name="directline.tasks.watch_request_deadlines")
def watch_request_deadlines() -> dict[str, int]:
    """Beat: 80 % warnings and escalations, each sent once per request."""
    return watch_deadlines()
