"""Queueing a task by its name, so that no service imports its app's tasks module (which
imports the services): the one way every app queues work. The task registry finds the
task (each app's `ready()` imports its tasks, so the names resolve in web processes too)."""

from __future__ import annotations

from typing import Any

from celery import current_app
from django.db import transaction


def queue(name: str, *args: Any) -> None:
    """Queue the task now (eager in the embedded mode and in tests, as `.delay` is)."""
    current_app.tasks[name].delay(*args)


def queue_on_commit(name: str, *args: Any) -> None:
    """Queue the task once the caller's transaction commits. Robust: with the broker down
    the change is committed all the same; the row is the record of work owed, and the
    beat sweeps (rechecks, stalled payments) pick it up."""
    # A closure, not a partial: Django names the callback when it logs a failure.
    transaction.on_commit(lambda: queue(name, *args), robust=True)


def eager() -> bool:
    """Tasks run in this process as they are queued (the embedded mode, tests)."""
    return bool(current_app.conf.task_always_eager)
