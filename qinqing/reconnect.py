"""The worker and beat, reconnecting promptly after a broker outage (issue #19).

Measured on the real stack (bench/faults_outage.py), with Celery 5.7 and kombu 5.7:
- the worker's consumer waits 2, 4, 6 … up to 30 s between reconnection attempts, so it
  could sit half a minute after Redis returned before taking work;
- on losing the connection it closes it, and kombu's Redis channel then tries to restore
  the unacknowledged messages through a connection already taken apart: AttributeError
  ('NoneType' object has no attribute 'hostname'), which Celery does not ignore — the
  worker stopped for good ("Unrecoverable error");
- a task that finished during the outage acknowledged its message through that same
  dead channel after the reconnection, with the same AttributeError, raised in the
  event loop: the worker stopped again;
- beat, finding the broker gone, raised out of its loop and exited.
Here the worker and beat try every 0.5 s, at most 2 s apart, forever
(broker_connection_max_retries=None). A channel whose connection is gone answers a
redis ConnectionError instead of the AttributeError (`_connparams` below), which kombu
already handles as what it is: the ack or restore is logged and dropped. The messages
concerned were on the broker that went away (or are redelivered after its visibility
timeout); the rows they stand for are queued again by the owed-work sweep
(subsidies/sweeps.py), and every task is idempotent.
Named by `worker_consumer` and `beat_scheduler` in qinqing/celery.py.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import redis
from celery.beat import PersistentScheduler
from celery.worker.consumer import Consumer
from kombu.transport import redis as kombu_redis

logger = logging.getLogger(__name__)

# Seconds between attempts: the first, the step, the longest.
RETRY_INTERVALS = {"interval_start": 0.5, "interval_step": 0.5, "interval_max": 2.0}


_connparams = kombu_redis.Channel._connparams


def _connparams_of_a_live_connection(self: Any, asynchronous: bool = False) -> dict:
    if self.connection.client is None:
        raise redis.ConnectionError("the broker connection of this channel was closed")
    return _connparams(self, asynchronous=asynchronous)


# Only in the processes that load this module: the worker and beat (qinqing/celery.py).
kombu_redis.Channel._connparams = _connparams_of_a_live_connection


def _prompt(conn: Any) -> Any:
    conn.ensure_connection = partial(conn.ensure_connection, **RETRY_INTERVALS)
    return conn


class PromptConsumer(Consumer):
    def ensure_connected(self, conn: Any) -> Any:
        return super().ensure_connected(_prompt(conn))


class PromptScheduler(PersistentScheduler):
    """Beat's scheduler (its schedule kept in CELERY_BEAT_SCHEDULE_FILENAME), reconnecting
    like the worker instead of exiting."""

    def _ensure_connected(self) -> Any:
        def report(error: Exception, interval: float) -> None:
            logger.warning("beat: broker unavailable (%s); trying again in %.1f s",
                           error, interval)  # fmt: skip

        return _prompt(self.connection).ensure_connection(report, None)
