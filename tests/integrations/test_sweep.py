"""The minute retry sweep queues each due delivery once: a delivery already waiting in the
queue (workers down, a backlog) is not queued again, so an outage builds no pile of
copies; a message taken to be lost is queued again once per QUEUED_LEASE."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from integrations import delivering, dispatching, tasks
from integrations.models import DeliveryStatus, WebhookDelivery

from .conftest import record_event_for, subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    """The broker: what was queued, never run (the workers are down)."""
    sent: list[int] = []

    def queue(name: str, *args) -> None:
        assert name == "integrations.tasks.deliver_webhook"
        sent.append(args[0])

    monkeypatch.setattr(dispatching.queueing, "queue", queue)
    return sent


def a_failed_delivery(world, endpoint) -> WebhookDelivery:
    endpoint.answers = [500]
    subscription = subscribe(world["auditor"])
    record_event_for(world["a"])
    dispatching.dispatch_pending()
    delivery = delivering.deliver(WebhookDelivery.objects.get(subscription=subscription).pk)
    assert delivery.status == DeliveryStatus.FAILED and delivery.queued_at is None
    return delivery


def test_the_task_queues_a_due_delivery_once_however_often_it_runs(world, endpoint, queued):
    delivery = a_failed_delivery(world, endpoint)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    assert tasks.deliver_due_webhooks() == 1
    for _minute in range(5):  # the workers are down: the message waits, the sweep runs on
        assert tasks.deliver_due_webhooks() == 0
    assert queued == [delivery.pk]


def test_an_outage_of_an_hour_leaves_one_copy_per_lease(world, endpoint, queued):
    delivery = a_failed_delivery(world, endpoint)
    start = delivery.next_attempt_at
    for minute in range(60):
        dispatching.queue_due_deliveries(now=start + timedelta(minutes=minute))
    # Queued when due, then again each time QUEUED_LEASE (10 minutes) ran out: 6, not 60.
    assert queued == [delivery.pk] * 6
    # The worker comes back and takes one message: the attempt clears the mark, the
    # remaining copies find the delivery done and do nothing.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert delivering.deliver(delivery.pk).status == DeliveryStatus.SUCCEEDED
    assert all(delivering.deliver(pk) is None for pk in queued[1:])
    assert len(endpoint.requests) == 2


def test_a_new_delivery_queued_by_the_dispatcher_is_not_queued_again_by_the_sweep(
    world, queued, django_capture_on_commit_callbacks
):
    subscribe(world["auditor"])
    record_event_for(world["a"])
    with django_capture_on_commit_callbacks(execute=True):
        dispatching.dispatch_pending()
    (delivery,) = WebhookDelivery.objects.all()
    assert queued == [delivery.pk] and delivery.queued_at is not None
    assert tasks.deliver_due_webhooks() == 0 and queued == [delivery.pk]


def test_with_the_broker_down_nothing_is_marked_queued(world, endpoint, monkeypatch):
    delivery = a_failed_delivery(world, endpoint)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())

    def unreachable(name: str, *args) -> None:
        raise OperationalError("Error 111 connecting to redis")

    monkeypatch.setattr(dispatching.queueing, "queue", unreachable)
    assert tasks.deliver_due_webhooks() == 1  # tried
    delivery.refresh_from_db()
    assert delivery.queued_at is None  # so the next sweep, with the broker back, queues it
    assert dispatching.due_deliveries() == [delivery.pk]
