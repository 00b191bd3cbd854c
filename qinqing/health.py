"""/healthz: can this process reach what it needs? 200 when all is well, 503 otherwise.

It is public (load balancers call it), so it names what failed but not how: the details,
which may include host names, go to the log.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .celery import app as celery_app
from .tasks import HEARTBEAT_CACHE_KEY
from .workhours.clock import missing_calendar_years

logger = logging.getLogger(__name__)
CheckResult = dict[str, Any]
# Asking the workers costs up to a second when none answers; callers polling every few
# seconds share one answer instead of each tying up a web worker.
WORKER_CHECK_TTL_SECONDS = 5.0
_worker_check_lock = threading.Lock()
_worker_check_cache: tuple[float, CheckResult] | None = None


def _timed(name: str, check: Callable[[], CheckResult]) -> CheckResult:
    started = time.perf_counter()
    try:
        result = check()
    except Exception as error:  # any failure is the answer here
        logger.warning("health check %s failed: %s", name, error, exc_info=True)
        result = {"ok": False, "error": type(error).__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def check_database() -> CheckResult:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "vendor": connection.vendor}


def check_cache() -> CheckResult:
    cache.set("qinqing:healthz", "ok", timeout=10)
    if cache.get("qinqing:healthz") != "ok":
        return {"ok": False, "error": "value written was not read back"}
    return {"ok": True, "backend": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]}


def check_broker() -> CheckResult:
    if celery_app.conf.task_always_eager:
        return {"ok": True, "mode": "eager (tasks run in-process; no broker)"}
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return {"ok": True, "mode": "broker"}


def check_workers() -> CheckResult:
    global _worker_check_cache
    if celery_app.conf.task_always_eager:
        return {"ok": True, "mode": "eager (tasks run in-process; no workers needed)"}
    with _worker_check_lock:
        now = time.monotonic()
        if _worker_check_cache and now - _worker_check_cache[0] < WORKER_CHECK_TTL_SECONDS:
            return {**_worker_check_cache[1], "cached": True}
        # One answer proves a worker consumes; waiting for every worker would always cost
        # the full timeout (1 s per call, measured) since nobody knows how many there are.
        replies = celery_app.control.ping(timeout=1.0, limit=1) or []
        result: CheckResult = {"ok": bool(replies), "answered": len(replies)}
        if not replies:
            result["error"] = "no Celery worker answered within 1 s"
        heartbeat = cache.get(HEARTBEAT_CACHE_KEY)
        if heartbeat:
            result["last_heartbeat"] = heartbeat["at"]
        _worker_check_cache = (now, result)
        return result


def forget_cached_worker_check() -> None:
    global _worker_check_cache
    with _worker_check_lock:
        _worker_check_cache = None


def check_calendar() -> CheckResult:
    """Never unhealthy (deadlines still count, weekends off), but said: this year's holiday
    calendar, or from 1 November next year's, has not been loaded."""
    missing = missing_calendar_years()
    if not missing:
        return {"ok": True}
    years = ", ".join(map(str, missing))
    return {"ok": True, "missing_years": missing,
            "warning": f"holiday calendar not loaded for {years}"}  # fmt: skip


CHECKS: dict[str, Callable[[], CheckResult]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "workers": check_workers,
    "calendar": check_calendar,
}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    results: dict[str, CheckResult] = {}
    for name, check in CHECKS.items():
        if name == "workers" and not results["broker"]["ok"]:
            # Asking workers through a dead broker would only wait for its retries.
            results[name] = {"ok": False, "error": "broker unreachable", "ms": 0.0}
            continue
        results[name] = _timed(name, check)
    healthy = all(result["ok"] for result in results.values())
    body: dict[str, Any] = {"status": "ok" if healthy else "unavailable", "checks": results}
    warnings = [result["warning"] for result in results.values() if result.get("warning")]
    if warnings:
        body["warnings"] = warnings
    return JsonResponse(body, status=200 if healthy else 503)
