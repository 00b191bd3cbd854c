"""Queueing a task by its name, so that no service imports its app's tasks module (which
imports the services): the one way every app queues work. The task registry finds the
task (each app's `ready()` imports its tasks, so the names resolve in web processes too).

The web tier never waits on the broker (issue #19): a publish that cannot reach it fails
within milliseconds (short socket timeouts, one immediate retry to replace a stale
pooled connection, no result-backend subscription: nobody reads these tasks' results),
is logged and not raised. The row the caller committed is the record of the work owed,
and the owed-work sweep (subsidies/sweeps.py, every 15 s) queues it once the broker is
back. After a failure, publishing is skipped for PAUSE_SECONDS so that a broker that
does not even refuse (a dropped network) costs one timeout per process, not one per
request.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import current_app
from django.db import transaction
from kombu.exceptions import EncodeError
from kombu.serialization import dumps

logger = logging.getLogger(__name__)

# After a failed publish, further publishes in this process are skipped for this long.
PAUSE_SECONDS = 2.0
_paused_until = 0.0
_last_logged = 0.0
LOG_EVERY_SECONDS = 10.0


def queue(name: str, *args: Any) -> bool:
    """Queue the task now (eager in tests, as `.delay` is). False when the broker could not
    be reached: the failure is logged, never raised; the caller's rows say what is owed."""
    global _paused_until
    task = current_app.tasks[name]
    # `.delay`: no result is stored or subscribed to (CELERY_TASK_IGNORE_RESULT).
    if eager():
        if task.serializer != current_app.conf.task_serializer:
            # A task with a stricter serializer of its own (qinqing.celery.PLAIN_JSON): its
            # arguments must survive it here as on the way to a worker.
            dumps(list(args), serializer=task.serializer)
        task.delay(*args)
        return True
    if paused():
        _log_skipped(name, "the broker was unreachable a moment ago")
        return False
    try:
        task.delay(*args)
    except EncodeError:
        raise  # arguments the task's serializer cannot carry: a bug to see, not an outage
    except Exception as error:  # kombu OperationalError, redis errors, timeouts, anything
        _paused_until = time.monotonic() + PAUSE_SECONDS
        _log_skipped(name, f"{type(error).__name__}: {error}")
        return False
    return True


def paused() -> bool:
    """A publish failed a moment ago: callers may skip other broker work (checkqueue)."""
    return time.monotonic() < _paused_until


def _log_skipped(name: str, why: str) -> None:
    """At most one warning every LOG_EVERY_SECONDS per process, not one per request."""
    global _last_logged
    now = time.monotonic()
    if now - _last_logged >= LOG_EVERY_SECONDS:
        _last_logged = now
        logger.warning("task %s not queued (%s); the owed-work sweep will queue it", name, why)


def queue_on_commit(name: str, *args: Any) -> None:
    """Queue the task once the caller's transaction commits. With the broker down the
    change is committed all the same and nothing is raised (queue() logs the failure)."""
    # A closure, not a partial: Django names the callback when it logs a failure.
    transaction.on_commit(lambda: queue(name, *args), robust=True)


def eager() -> bool:
    """Tasks run in this process as they are queued (tests that ask for it)."""
    return bool(current_app.conf.task_always_eager)
