"""Each partner client has its own rate, counted per minute in the shared cache; people
(session, API token) are not limited by it."""

import pytest
from django.conf import settings
from django.core.cache import cache

from partners.drf import PartnerRateThrottle
from tests.factories import OfficialFactory, department
from tests.partners_support import partner_api_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    """A fixed minute, moved on by hand: no test straddles two windows by chance."""
    now = {"t": 1_800_000_000.0 + 5}
    monkeypatch.setattr(PartnerRateThrottle, "timer", staticmethod(lambda: now["t"]))
    return now


def test_the_client_over_its_rate_gets_429_with_retry_after(clock):
    client, _ = partner_api_client(scopes=["policies:read"], department="market", rate=2)
    other, _ = partner_api_client(scopes=["policies:read"], department="market", rate=2)

    answers = [client.get("/api/v1/policies/").status_code for _ in range(3)]

    assert answers == [200, 200, 429]
    limited = client.get("/api/v1/policies/")
    assert limited.status_code == 429
    assert limited["Retry-After"] == "55"
    assert other.get("/api/v1/policies/").status_code == 200  # its own count
    clock["t"] += 60
    assert client.get("/api/v1/policies/").status_code == 200  # a new minute


def test_refused_calls_count_too(clock):
    client, _ = partner_api_client(scopes=["policies:read"], department="market", rate=1)

    assert client.get("/api/v1/claims/").status_code == 403
    assert client.get("/api/v1/policies/").status_code == 429


def test_the_default_rate_applies_when_the_client_has_none(clock, settings):
    settings.PARTNER_DEFAULT_RATE_PER_MINUTE = 1
    client, partner = partner_api_client(scopes=["policies:read"], department="market")

    assert partner.rate_per_minute == 1
    assert [client.get("/api/v1/me/").status_code for _ in range(2)] == [200, 429]


def test_people_are_not_limited_by_it(api_client, clock, settings):
    settings.PARTNER_DEFAULT_RATE_PER_MINUTE = 1
    api_client.force_authenticate(OfficialFactory(department=department("market")))

    assert {api_client.get("/api/v1/policies/").status_code for _ in range(3)} == {200}


@pytest.mark.redis
def test_the_count_is_kept_in_redis_for_every_process(clock):
    """With REDIS_URL the default cache is Redis: every web process counts together."""
    import redis

    client, partner = partner_api_client(scopes=["policies:read"], department="market", rate=5)
    client.get("/api/v1/policies/")
    client.get("/api/v1/policies/")

    assert "RedisCache" in settings.CACHES["default"]["BACKEND"]
    keys = redis.Redis.from_url(settings.REDIS_URL).keys(f"*throttle_partner_{partner.client_id}_*")
    assert len(keys) == 1
    window = int(clock["t"] // 60)
    assert cache.get(f"throttle_partner_{partner.client_id}_{window}") == 2
