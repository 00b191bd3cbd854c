"""/healthz: can this process reach what it needs? 200 when all is well, 503 otherwise."""

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

CheckResult = dict[str, Any]


def _timed(check: Callable[[], CheckResult]) -> CheckResult:
    started = time.perf_counter()
    try:
        result = check()
    except Exception as error:
        result = {"ok": False, "error": f"{type(error).__name__}: {error}"[:300]}
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
    if celery_app.conf.task_always_eager:
        return {"ok": True, "mode": "eager (tasks run in-process; no workers needed)"}
    # One answer proves a worker consumes; waiting for every worker would always cost the
    # full timeout (1 s per call, measured) since nobody knows how many there are.
    replies = celery_app.control.ping(timeout=1.0, limit=1) or []
    names = sorted(name for reply in replies for name in reply)
    if not names:
        return {"ok": False, "error": "no Celery worker answered within 1 s", "workers": []}
    return {"ok": True, "workers": names}


CHECKS: dict[str, Callable[[], CheckResult]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "workers": check_workers,
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
        results[name] = _timed(check)
    healthy = all(result["ok"] for result in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": results},
        status=200 if healthy else 503,
    )
