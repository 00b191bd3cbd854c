"""The Redis cache, failing soft: while Redis is down (restarting, unreachable) the portal
keeps serving as if the cache were empty, instead of answering 500.

Everything this project keeps in the cache can be recomputed or is best effort (department
facts, circuit breakers, simulated behaviour, debounces, heartbeats, rate-limit counters),
so a read that cannot reach Redis is a miss and a write is dropped, with a warning in the
log (at most one every LOG_EVERY_SECONDS per process, not one per call). Found by the
fault-injection run (bench/faults.py): a Redis restart turned claim checks, approval
submissions and pages that read department data into 500s.

A failure also pauses the cache in this process for PAUSE_SECONDS: a Redis that does not
even refuse (a dropped network) costs one connect timeout per process, not one per call
(issue #19: the web tier never waits on Redis).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)

LOG_EVERY_SECONDS = 10.0
PAUSE_SECONDS = 2.0
_last_logged = 0.0
_paused_until = 0.0
# Connection refused or reset, timeouts, a server still loading its data after a restart.
UNAVAILABLE = (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError)


class _Unreachable:
    """`with _Unreachable("get"):` — an unreachable server is logged (at most once every
    LOG_EVERY_SECONDS per process) and the block is left; the method then returns what
    an empty cache would."""

    def __init__(self, operation: str) -> None:
        self.operation = operation

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, error: Any, _traceback: Any) -> bool:
        if kind is None or not issubclass(kind, UNAVAILABLE):
            return False
        global _last_logged, _paused_until
        now = time.monotonic()
        if not isinstance(error, _Paused):
            _paused_until = now + PAUSE_SECONDS
        if now - _last_logged >= LOG_EVERY_SECONDS:
            _last_logged = now
            logger.warning("cache unavailable (%s: %s); serving without it",
                           self.operation, error)  # fmt: skip
        return True


class _Paused(redis.ConnectionError):
    """Not tried: the server failed less than PAUSE_SECONDS ago."""


class _PausingClient(RedisCacheClient):
    """Also one redis.Redis per connection pool, made once: django makes a new one for
    every cache call, which builds its table of some 200 response callbacks each time (a
    tenth of a millisecond a call; a partner's poll made four, issue #24). A Redis client
    is safe to share between threads: each command takes a connection from the pool."""

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        if time.monotonic() < _paused_until:
            raise _Paused("paused after a failure")
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_shared_clients", {})
        client = clients.get(id(pool))
        if client is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def count(self, key: Any, timeout: int) -> int:
        """add(key, 0, timeout) then incr(key), atomically and in one round trip (MULTI:
        SET NX EX, INCR, EXEC) instead of three (SET NX, then incr's EXISTS and INCR)."""
        pipeline = self.get_client(key, write=True).pipeline(transaction=True)
        pipeline.set(key, 0, nx=True, ex=timeout)
        pipeline.incr(key)
        return int(pipeline.execute()[1])


class TolerantRedisCache(RedisCache):
    """django's RedisCache; an unreachable server reads as a miss and drops writes."""

    def __init__(self, server: str, params: dict) -> None:
        super().__init__(server, params)
        self._class = _PausingClient

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        with _Unreachable("get"):
            return super().get(key, default, version)
        return default

    def get_many(self, keys: Any, version: int | None = None) -> dict:
        with _Unreachable("get_many"):
            return super().get_many(keys, version)
        return {}

    def has_key(self, key: Any, version: int | None = None) -> bool:
        with _Unreachable("has_key"):
            return super().has_key(key, version)
        return False

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        with _Unreachable("set"):
            super().set(key, value, timeout, version)

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        """Not stored: False, as when the key exists (no caller may take a lock it did not
        get)."""
        with _Unreachable("add"):
            return super().add(key, value, timeout, version)
        return False

    def set_many(
        self, data: dict, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list:
        with _Unreachable("set_many"):
            return super().set_many(data, timeout, version)
        return list(data)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        with _Unreachable("touch"):
            return super().touch(key, timeout, version)
        return False

    def delete(self, key: Any, version: int | None = None) -> bool:
        with _Unreachable("delete"):
            return super().delete(key, version)
        return False

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        with _Unreachable("delete_many"):
            super().delete_many(keys, version)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        """Unreachable reads as a missing key: ValueError, which the callers handle."""
        with _Unreachable("incr"):
            return super().incr(key, delta, version)
        raise ValueError(f"Key '{key}' not found (the cache is unavailable)")

    def count(self, key: Any, timeout: int, version: int | None = None) -> int | None:
        """A counter living `timeout` seconds from its first count, counted once more: its
        new value (qinqing.cache.count); None while the server is unreachable."""
        with _Unreachable("count"):
            return self._cache.count(self.make_and_validate_key(key, version=version), timeout)
        return None

    def clear(self) -> None:
        with _Unreachable("clear"):
            super().clear()


def count(cache: Any, key: str, timeout: int) -> int | None:
    """Count once more under `key`, a counter that lives `timeout` seconds from its first
    count; its new value, or None when the cache cannot count (unreachable). On Redis one
    atomic round trip; on other caches add() then incr()."""
    counting = getattr(cache, "count", None)  # `cache` may be django's proxy to the cache
    if counting is not None:
        return counting(key, timeout)
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        return 1 if cache.add(key, 1, timeout=timeout) else None
