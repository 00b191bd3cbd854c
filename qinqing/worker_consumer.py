"""The worker's consumer, reconnecting promptly after a broker outage (issue #19).

Celery's consumer waits 2, 4, 6 … up to 30 s between reconnection attempts, so a worker
could sit up to half a minute after Redis returned before taking work, and it gave up
for good after 100 attempts. This one tries every second at most two apart, forever
(CELERY_BROKER_CONNECTION_MAX_RETRIES = 0), so work saved during an outage is taken
within seconds of the broker's return. Named by `worker_consumer` in qinqing/celery.py.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from celery.worker.consumer import Consumer

# Seconds between attempts: the first, the step, the longest.
RETRY_INTERVALS = {"interval_start": 0.5, "interval_step": 0.5, "interval_max": 2.0}


class PromptConsumer(Consumer):
    def ensure_connected(self, conn: Any) -> Any:
        conn.ensure_connection = partial(conn.ensure_connection, **RETRY_INTERVALS)
        return super().ensure_connected(conn)
