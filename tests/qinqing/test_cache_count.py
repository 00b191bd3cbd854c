"""qinqing.cache.count: the partners' rate limit counts each request in one atomic round
trip to Redis (issue #24), a counter that lives a window from its first count, as add()
then incr() did in three."""

import uuid

import pytest
from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache

from qinqing.cache import TolerantRedisCache, count


@pytest.mark.redis
def test_on_redis_a_counter_counts_and_expires_with_its_window():
    cache = TolerantRedisCache(settings.REDIS_URL, {})
    key = f"count-test-{uuid.uuid4().hex}"

    assert [count(cache, key, 60) for _ in range(3)] == [1, 2, 3]
    assert cache.get(key) == 3  # what incr() and get() see: the same plain counter
    client = cache._cache.get_client(key)
    assert 0 < client.ttl(cache.make_and_validate_key(key)) <= 60
    cache.delete(key)


def test_other_caches_count_with_add_and_incr():
    cache = LocMemCache(f"count-{uuid.uuid4().hex}", {})

    assert [count(cache, "k", 60) for _ in range(3)] == [1, 2, 3]
