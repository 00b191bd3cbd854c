"""A real Celery worker process, through real Redis, on the test database."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.utils import timezone

from accounts.tasks import clear_expired_sessions
from qinqing.celery import PLAIN_JSON
from qinqing.tasks import HEARTBEAT_CACHE_KEY, ping, record_worker_heartbeat

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


def test_round_trip_through_the_broker(celery_worker_process):
    result = ping.delay()
    assert result.get(timeout=10) == "pong"
    assert not result.failed()


def test_worker_writes_to_the_shared_cache(celery_worker_process):
    cache.delete(HEARTBEAT_CACHE_KEY)
    record_worker_heartbeat.delay()
    deadline = timezone.now() + timedelta(seconds=10)
    while cache.get(HEARTBEAT_CACHE_KEY) is None and timezone.now() < deadline:
        pass
    heartbeat = cache.get(HEARTBEAT_CACHE_KEY)
    assert heartbeat is not None, "the worker did not record a heartbeat within 10 s"
    assert heartbeat["host"]


def test_worker_reads_and_writes_the_test_database(celery_worker_process):
    now = timezone.now()
    Session.objects.create(
        session_key="expired1", session_data="", expire_date=now - timedelta(days=1)
    )
    Session.objects.create(
        session_key="current1", session_data="", expire_date=now + timedelta(days=1)
    )
    # Results are not stored unless asked for (CELERY_TASK_IGNORE_RESULT): this test reads it.
    assert clear_expired_sessions.apply_async(ignore_result=False).get(timeout=10) == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == ["current1"]


def test_a_task_sent_as_plain_json_is_read_and_run_by_the_worker(celery_worker_process):
    """A batch chunk's serializer (qinqing.celery.PLAIN_JSON): a worker that did not accept
    it would refuse every chunk of a publish-time run."""
    result = ping.apply_async(serializer=PLAIN_JSON)
    assert result.get(timeout=10) == "pong"
