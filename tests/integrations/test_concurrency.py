"""Real concurrency on PostgreSQL: dispatchers and delivery workers racing."""

import pytest

from integrations import delivering, dispatching
from integrations.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from qinqing.events.models import OutboxEvent
from tests.factories import AuditorFactory, EnterpriseFactory
from tests.subsidies.test_concurrency import race

from .conftest import record_event_for, subscribe

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_four_dispatchers_at_once_make_one_delivery_per_event(
    reference_data, quiet_outbox, monkeypatch
):
    monkeypatch.setattr(dispatching, "DISPATCH_BATCH", 25)
    subscription = subscribe(AuditorFactory())
    enterprise = EnterpriseFactory()
    for _ in range(100):
        record_event_for(enterprise)
    handled = race(4, lambda _i: sum(iter(dispatching.dispatch_pending, 0)))
    assert sum(handled) == 100  # each event handed out by exactly one of them
    assert not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()
    assert WebhookDelivery.objects.filter(subscription=subscription).count() == 100


def test_two_workers_on_one_delivery_post_it_once(reference_data, quiet_outbox, endpoint):
    subscribe(AuditorFactory())
    record_event_for(EnterpriseFactory())
    dispatching.dispatch_pending()
    delivery = WebhookDelivery.objects.get()
    results = race(2, lambda _i: delivering.deliver(delivery.pk))
    assert sum(result is not None for result in results) == 1
    assert len(endpoint.requests) == 1 and WebhookAttempt.objects.count() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED


def test_four_sweeps_at_once_queue_each_due_delivery_once(
    reference_data, quiet_outbox, monkeypatch
):
    """Beat run twice (two schedulers, a slow sweep overlapping the next): each due
    delivery is marked and queued by one of them only."""
    from django.utils import timezone

    queued: list[int] = []
    subscribe(AuditorFactory())
    enterprise = EnterpriseFactory()
    for _ in range(60):
        record_event_for(enterprise)
    dispatching.dispatch_pending()
    WebhookDelivery.objects.update(queued_at=None, next_attempt_at=timezone.now())
    monkeypatch.setattr(dispatching, "enqueue_deliveries", queued.extend)  # the broker
    race(4, lambda _i: dispatching.queue_due_deliveries(limit=20))
    race(4, lambda _i: dispatching.queue_due_deliveries())  # the rest (a sweep skips locked rows)
    assert len(queued) == len(set(queued)) == 60
    assert race(4, lambda _i: dispatching.queue_due_deliveries()) == [[], [], [], []]
