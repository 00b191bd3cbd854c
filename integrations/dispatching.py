"""From the outbox to the queue: the events turned into deliveries for the subscriptions
that want them and may see them, each delivery queued by name; the retry sweep, which
queues a due delivery once (`queued_at`), so an outage builds no backlog of copies; and
redelivery by hand."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as KombuOperationalError

from qinqing import queueing
from qinqing.audit.services import record_event
from qinqing.bulk import any_of
from qinqing.events.models import OutboxEvent
from qinqing.events.registry import EVENT_TYPES
from qinqing.transitions import move

from .models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from .selectors import may_receive, member_enterprises
from .subscribing import WebhookRefused, require_owner

logger = logging.getLogger(__name__)


DISPATCH_BATCH = 500


# A delivery marked queued is not queued again by the sweep for this long: its message is
# waiting for a worker. Past it, the message is taken to be lost and the delivery queued
# once more (one copy per QUEUED_LEASE at most, however long an outage lasts).
QUEUED_LEASE = timedelta(minutes=10)


# Events no active subscription wants are marked handled this many at a time, in one
# statement: a batch run's events, when no partner listens, cost one UPDATE per chunk.
UNWANTED_BATCH = 20000


def dispatch_pending(*, limit: int = DISPATCH_BATCH) -> int:
    """Turn up to `limit` undispatched events into deliveries for the subscriptions that
    want them and may see them; returns how many events were handled. Only the events
    some active subscription wants are loaded: the others (a batch run's thousands, when
    no partner listens for them) are marked handled first, up to UNWANTED_BATCH of them
    in one UPDATE, from their types alone. Safe to run twice at once: rows another run
    holds are skipped (PostgreSQL), and the unique pair (subscription, event) makes a
    repeated insert do nothing."""
    now = timezone.now()
    with transaction.atomic():
        subscriptions = list(
            WebhookSubscription.objects.filter(active=True).select_related(
                "owner__partner_client", "owner__department"
            )
        )
        wanted_types = sorted({kind for s in subscriptions for kind in s.event_types})
        undispatched = OutboxEvent.objects.select_for_update(skip_locked=True).filter(
            dispatched_at__isnull=True
        )
        handled = 0
        if not set(EVENT_TYPES) <= set(wanted_types):  # some type nobody wants
            unwanted = undispatched.exclude(event_type__in=wanted_types).order_by("id")
            handled = OutboxEvent.objects.filter(
                pk__in=unwanted.values("pk")[:UNWANTED_BATCH]
            ).update(dispatched_at=now)
        events = (list(undispatched.filter(event_type__in=wanted_types).order_by("id")[:limit])
                  if wanted_types else [])  # fmt: skip
        if not events:
            return handled
        pending = [event.pk for event in events]
        members = member_enterprises(
            {s.owner_id for s in subscriptions if s.owner.is_enterprise_member}
        )
        deliveries = [
            WebhookDelivery(subscription=subscription, event=event, next_attempt_at=now,
                            queued_at=now)
            for event in events
            for subscription in subscriptions
            if event.event_type in subscription.event_types
            and may_receive(subscription.owner, event,
                            enterprise_ids=members.get(subscription.owner_id, set()))
        ]  # fmt: skip
        if deliveries:
            WebhookDelivery.objects.bulk_create(deliveries, batch_size=1000, ignore_conflicts=True)
            due = list(WebhookDelivery.objects.filter(
                any_of("event_id", pending), status=DeliveryStatus.PENDING, attempts=0
            ).values_list("pk", flat=True))  # fmt: skip
            transaction.on_commit(lambda: enqueue_deliveries(due), robust=True)
        OutboxEvent.objects.filter(any_of("pk", pending)).update(dispatched_at=now)
    return handled + len(pending)


def enqueue_deliveries(delivery_ids: list[int]) -> None:
    """Queue one delivery task per id, by name (tasks.py imports these services, never the
    other way round). The ids were marked queued by whoever asked; should the broker be
    unreachable, the ones not queued are unmarked, so the next sweep queues them."""
    for position, delivery_id in enumerate(delivery_ids):
        try:
            queueing.queue("integrations.tasks.deliver_webhook", delivery_id)
        except KombuOperationalError:
            logger.warning("broker unreachable: %d webhook deliveries left to the sweep",
                           len(delivery_ids) - position)  # fmt: skip
            WebhookDelivery.objects.filter(pk__in=delivery_ids[position:]).update(queued_at=None)
            return


def _due(now: datetime) -> QuerySet[WebhookDelivery]:
    """Due, on an active subscription, and not waiting in the queue already (a mark older
    than QUEUED_LEASE is taken to be a lost message)."""
    return WebhookDelivery.objects.filter(
        Q(queued_at__isnull=True) | Q(queued_at__lte=now - QUEUED_LEASE),
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED],
        next_attempt_at__lte=now,
        subscription__active=True,
    )


def due_deliveries(*, now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Deliveries the retry sweep would queue now (read only)."""
    now = now or timezone.now()
    return list(_due(now).order_by("next_attempt_at").values_list("pk", flat=True)[:limit])


def queue_due_deliveries(*, now: datetime | None = None, limit: int = 1000) -> list[int]:
    """The retry sweep: mark the due deliveries queued and queue them, each once. A
    delivery already waiting in the queue is not queued again, so a minute sweep during a
    worker or broker outage builds no backlog of copies; the attempt clears the mark."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            _due(now).select_for_update(skip_locked=True, of=("self",))
            .order_by("next_attempt_at").values_list("pk", flat=True)[:limit]
        )  # fmt: skip
        WebhookDelivery.objects.filter(pk__in=ids).update(queued_at=now)
    enqueue_deliveries(ids)
    return ids


def redeliver(delivery_id: int, *, actor: Any) -> WebhookDelivery:
    """Send a delivery again now, whatever became of it: a fresh series of attempts (the
    earlier ones stay on record); the next attempt is marked as asked for by hand."""
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update(of=("self",))
                    .select_related("subscription").get(pk=delivery_id))  # fmt: skip
        require_owner(actor, delivery.subscription)
        if not delivery.subscription.active:
            raise WebhookRefused(_("The subscription is paused: activate it first."))
        before = {"status": delivery.status, "attempts": delivery.attempts}
        # A raised lease: an attempt still in flight no longer books its outcome.
        now = timezone.now()
        move(delivery, DeliveryStatus.PENDING, actor=actor, attempts=0, next_attempt_at=now,
             redelivery_requested=True, lease=delivery.lease + 1, queued_at=now)  # fmt: skip
        record_event(actor=actor, action="webhooks.delivery.redelivered", obj=delivery,
                     before=before, after={"status": delivery.status})  # fmt: skip
        transaction.on_commit(lambda: enqueue_deliveries([delivery.pk]), robust=True)
    return delivery
