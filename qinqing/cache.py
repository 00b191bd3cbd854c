"""The Redis cache, failing soft: while Redis is down (restarting, unreachable) the portal
keeps serving as if the cache were empty, instead of answering 500.

Everything this project keeps in the cache can be recomputed or is best effort (department
facts, circuit breakers, simulated behaviour, debounces, heartbeats, rate-limit counters),
so a read that cannot reach Redis is a miss and a write is dropped, with a warning in the
log (at most one every LOG_EVERY_SECONDS per process, not one per call). Found by the
fault-injection run (bench/faults.py): a Redis restart turned claim checks, approval
submissions and pages that read department data into 500s.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

LOG_EVERY_SECONDS = 10.0
_last_logged = 0.0
# Connection refused or reset, timeouts, a server still loading its data after a restart.
UNAVAILABLE = (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError)


def _unavailable(operation: str, error: Exception) -> None:
    global _last_logged
    now = time.monotonic()
    if now - _last_logged >= LOG_EVERY_SECONDS:
        _last_logged = now
        logger.warning("cache unavailable (%s: %s); serving without it", operation, error)


class TolerantRedisCache(RedisCache):
    """django's RedisCache; an unreachable server reads as a miss and drops writes."""

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except UNAVAILABLE as error:
            _unavailable("get", error)
            return default

    def get_many(self, keys: Any, version: int | None = None) -> dict:
        try:
            return super().get_many(keys, version)
        except UNAVAILABLE as error:
            _unavailable("get_many", error)
            return {}

    def has_key(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().has_key(key, version)
        except UNAVAILABLE as error:
            _unavailable("has_key", error)
            return False

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        try:
            super().set(key, value, timeout, version)
        except UNAVAILABLE as error:
            _unavailable("set", error)

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        """Not stored: False, as when the key exists (no caller may take a lock it did not
        get)."""
        try:
            return super().add(key, value, timeout, version)
        except UNAVAILABLE as error:
            _unavailable("add", error)
            return False

    def set_many(
        self, data: dict, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list:
        try:
            return super().set_many(data, timeout, version)
        except UNAVAILABLE as error:
            _unavailable("set_many", error)
            return list(data)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        try:
            return super().touch(key, timeout, version)
        except UNAVAILABLE as error:
            _unavailable("touch", error)
            return False

    def delete(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().delete(key, version)
        except UNAVAILABLE as error:
            _unavailable("delete", error)
            return False

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        try:
            super().delete_many(keys, version)
        except UNAVAILABLE as error:
            _unavailable("delete_many", error)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        """Unreachable reads as a missing key: ValueError, which the callers handle."""
        try:
            return super().incr(key, delta, version)
        except UNAVAILABLE as error:
            _unavailable("incr", error)
            raise ValueError(f"Key '{key}' not found (the cache is unavailable)") from error

    def clear(self) -> None:
        try:
            super().clear()
        except UNAVAILABLE as error:
            _unavailable("clear", error)
