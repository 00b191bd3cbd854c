"""/healthz answers 200 when the database, cache, broker and workers are reachable, else 503."""

import pytest
from django.test import override_settings
from django.urls import reverse

from qinqing.celery import app as celery_app
from qinqing.health import forget_cached_worker_check

pytestmark = pytest.mark.django_db

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def test_healthy_in_the_embedded_mode(client, monkeypatch):
    """Database and cache are really checked; eager mode needs no broker or workers."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    response = client.get(reverse("healthz"))
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker", "workers", "calendar"}
    assert all(check["ok"] for check in body["checks"].values())


def test_unreachable_cache_and_broker_give_503(client, monkeypatch):
    """A real failure, not a mock: point the cache and the broker at a closed port."""
    broken_cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": UNREACHABLE_REDIS,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    monkeypatch.setitem(celery_app.conf, "broker_url", UNREACHABLE_REDIS)
    with override_settings(CACHES=broken_cache):  # Django rebuilds the cache handler
        response = client.get(reverse("healthz"))
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["cache"]["ok"] is False
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["workers"]["ok"] is False
    # Public endpoint: it names the failure, not the hosts or credentials behind it.
    assert body["checks"]["cache"]["error"] == "ConnectionError"
    assert "127.0.0.1" not in response.content.decode()


def test_healthz_is_not_cached(client):
    response = client.get(reverse("healthz"))
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_healthy_with_broker_and_a_running_worker(client, celery_worker_process):
    forget_cached_worker_check()
    response = client.get(reverse("healthz"))
    body = response.json()
    assert response.status_code == 200, body
    assert body["checks"]["broker"]["mode"] == "broker"
    assert body["checks"]["workers"]["ok"] is True
    assert body["checks"]["workers"]["answered"] == 1


@pytest.mark.redis
def test_no_worker_on_a_broker_gives_503(client, monkeypatch):
    """Redis is up but nobody consumes: the portal is not healthy (claims would wait)."""
    monkeypatch.setattr(celery_app.control, "ping", lambda **options: [])
    forget_cached_worker_check()
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["checks"]["workers"]["error"].startswith("no Celery worker")
