"""Project-wide tasks."""

import socket

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_CACHE_KEY = "qinqing:worker-heartbeat"


@shared_task(name="qinqing.tasks.record_worker_heartbeat", ignore_result=True)
def record_worker_heartbeat() -> None:
    """Beat runs this; /healthz shows when a worker last took work from the queue."""
    cache.set(
        HEARTBEAT_CACHE_KEY,
        {"at": timezone.now().isoformat(), "host": socket.gethostname()},
        timeout=300,
    )


@shared_task(name="qinqing.tasks.ping")
def ping() -> str:
    """A round trip through the broker; used by the worker tests and benchmarks."""
    return "pong"
