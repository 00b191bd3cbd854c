"""Project-wide tasks."""

import socket

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from . import partitions

HEARTBEAT_CACHE_KEY = "qinqing:worker-heartbeat"


@shared_task(name="qinqing.tasks.record_worker_heartbeat", ignore_result=True)
def record_worker_heartbeat() -> None:
    """Beat runs this; /healthz shows when a worker last took work from the queue."""
    cache.set(
        HEARTBEAT_CACHE_KEY,
        {"at": timezone.now().isoformat(), "host": socket.gethostname()},
        timeout=300,
    )


@shared_task(name="qinqing.tasks.ping", ignore_result=False)
def ping() -> str:
    """A round trip through the broker; used by the worker tests and benchmarks (the one
    task whose result is read: CELERY_TASK_IGNORE_RESULT keeps the others')."""
    return "pong"


@shared_task(name="qinqing.tasks.maintain_partitions", ignore_result=True)
def maintain_partitions() -> dict[str, list[str]]:
    """Beat, daily: the log tables' coming months created, months past retention dropped
    (qinqing/partitions.py; a no-op on SQLite)."""
    return partitions.maintain()
