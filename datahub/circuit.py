"""A circuit breaker per department, shared by every process through the cache.

Closed: calls go through. After HUB_BREAKER_THRESHOLD failures in a row it opens: for
HUB_BREAKER_COOLDOWN_SECONDS nobody calls the department (facts come back unknown at once,
instead of every request waiting for its timeout). Then one trial call is let through
(half-open): success closes it, failure opens it again.
"""

import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


def _now() -> float:
    return time.time()


def _keys(department: str) -> tuple[str, str, str]:
    base = f"hub:breaker:{department}"
    return f"{base}:failures", f"{base}:open_until", f"{base}:trial"


@dataclass(frozen=True)
class Reading:
    """A department's breaker as read before a call: most calls find it closed and
    clean, and then need no further trip to the cache."""

    failures: int | None
    open_until: float | None


def read(departments: Iterable[str]) -> dict[str, Reading]:
    """Every named department's breaker in one round trip to the shared cache."""
    keys = {department: _keys(department)[:2] for department in departments}
    values = cache.get_many([key for pair in keys.values() for key in pair])
    return {department: Reading(values.get(failures), values.get(open_until))
            for department, (failures, open_until) in keys.items()}  # fmt: skip


def allows_call(department: str, reading: Reading | None = None) -> bool:
    _failures, open_until_key, trial_key = _keys(department)
    open_until = reading.open_until if reading is not None else cache.get(open_until_key)
    if open_until is None:
        return True
    if _now() < open_until:
        return False
    # Half-open: exactly one caller gets the trial.
    return cache.add(trial_key, 1, timeout=settings.HUB_BREAKER_COOLDOWN_SECONDS)


def record_success(department: str, reading: Reading | None = None) -> None:
    if reading is not None and reading.failures is None and reading.open_until is None:
        return  # closed with no failures counted: nothing to reset
    cache.delete_many(list(_keys(department)))


def record_failure(department: str) -> None:
    failures_key, open_until_key, trial_key = _keys(department)
    if cache.get(open_until_key) is not None:
        # The trial failed (or a call that started before opening): open again.
        _open(open_until_key, trial_key)
        return
    cache.add(failures_key, 0, timeout=3600)
    try:
        failures = cache.incr(failures_key)
    except ValueError:  # expired between add and incr
        cache.set(failures_key, 1, timeout=3600)
        failures = 1
    if failures >= settings.HUB_BREAKER_THRESHOLD:
        _open(open_until_key, trial_key)


def _open(open_until_key: str, trial_key: str) -> None:
    cooldown = settings.HUB_BREAKER_COOLDOWN_SECONDS
    # Keep the marker well past the cooldown so the half-open state is recognised.
    cache.set(open_until_key, _now() + cooldown, timeout=int(cooldown * 10) + 60)
    cache.delete(trial_key)


def state(department: str) -> str:
    _failures, open_until_key, _trial = _keys(department)
    open_until = cache.get(open_until_key)
    if open_until is None:
        return "closed"
    return "open" if _now() < open_until else "half-open"
