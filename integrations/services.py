"""Webhooks: subscriptions, handing out the outbox, signed deliveries with back-off, and
redelivery by hand.

Delivery is at least once: an attempt is claimed (attempt counted, a lease on
`next_attempt_at`) and committed before the POST, and its outcome is booked after it, so
a worker killed mid-request leaves a delivery the retry sweep takes again once the lease
runs out. Partners deduplicate on the event id (X-Qinqing-Event-Id / `id`). The retry
sweep queues a due delivery once (`queued_at`), so an outage builds no backlog of copies.

Where a delivery may go, and the address it is sent to, is `destinations.py` (resolved
once, connected to that address); the signing secrets are sealed at rest (`sealing.py`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import random
import secrets
import ssl
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as KombuOperationalError

from qinqing import queueing
from qinqing.audit.services import record_event, snapshot
from qinqing.bulk import any_of
from qinqing.errors import NotAllowed, Refused
from qinqing.events.models import OutboxEvent
from qinqing.events.registry import EVENT_TYPES
from qinqing.transitions import move

from . import destinations, sealing
from .models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookSubscription
from .selectors import may_receive, member_enterprises

logger = logging.getLogger(__name__)

SIGNATURE_SCHEME = "v1"
# Plain http: in DEBUG, or to a receiver on this machine where private targets are allowed.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# Delay before retry n (n = 1, 2, …): RETRY_BASE_SECONDS · 2^(n-1), ±20 % jitter so that
# a partner coming back up is not hit by every delivery in the same second.
RETRY_BASE_SECONDS = 60
RETRY_JITTER = 0.2
DISPATCH_BATCH = 500
# A delivery marked queued is not queued again by the sweep for this long: its message is
# waiting for a worker. Past it, the message is taken to be lost and the delivery queued
# once more (one copy per QUEUED_LEASE at most, however long an outage lasts).
QUEUED_LEASE = timedelta(minutes=10)
NAME_MAX = 100
# What the audit trail keeps of a subscription: never the secret.
AUDITED_FIELDS = ["owner_id", "name", "url", "event_types", "active"]
USER_AGENT = "Qinqing-Webhooks/1"


class WebhookRefused(Refused):
    """A subscription that cannot be saved as asked; the message says why."""

    code = "webhook_refused"


def _refused(field: str, message: str) -> WebhookRefused:
    """A refusal of one field's value, shown beside that field."""
    return WebhookRefused(message, fields={field: [message]})


# --- signatures ---------------------------------------------------------------------------


def new_secret() -> str:
    return "whsec_" + secrets.token_hex(24)


def set_secret(subscription: WebhookSubscription, secret: str) -> None:
    """Seal `secret` into the subscription (not saved here); only its tail stays readable."""
    subscription.sealed_secret = sealing.seal(secret)
    subscription.secret_tail = secret[-4:]


def signing_secret(subscription: WebhookSubscription) -> str:
    """The secret itself, to sign a delivery (or for the demo receiver to verify one)."""
    return sealing.unseal(subscription.sealed_secret)


def signing_secret_of_delivery(delivery_id: Any) -> str | None:
    """The secret a delivery is signed with (its subscription's), for a receiver that
    looks it up by the X-Qinqing-Delivery header: the demo receiver. None when unknown."""
    try:
        delivery_id = int(delivery_id)
    except (TypeError, ValueError):
        return None
    subscription = WebhookSubscription.objects.filter(deliveries__pk=delivery_id).first()
    if subscription is None:
        return None
    try:
        return signing_secret(subscription)
    except sealing.SecretUnreadable:
        return None


def reseal_secrets() -> tuple[int, int]:
    """Every secret sealed again with the first WEBHOOK_SECRET_KEY (a key rotation):
    (re-sealed, unreadable). One row at a time, locked, so a concurrent change is kept."""
    done = unreadable = 0
    for pk in WebhookSubscription.objects.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            subscription = WebhookSubscription.objects.select_for_update().get(pk=pk)
            try:
                subscription.sealed_secret = sealing.reseal(subscription.sealed_secret)
            except sealing.SecretUnreadable:
                unreadable += 1
                continue
            subscription.save(update_fields=["sealed_secret"])
            done += 1
    return done, unreadable


def secret_hint(subscription: WebhookSubscription) -> str:
    """Which secret is in use, never the secret: `whsec_…` and its last four characters."""
    return f"whsec_…{subscription.secret_tail}" if subscription.secret_tail else ""


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """`v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`: the timestamp is signed too,
    so a captured request cannot be replayed later with a fresh one."""
    message = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_SCHEME}={digest}"


def verify_signature(secret: str, timestamp: str, body: bytes, header: str, *,
                     tolerance_seconds: int = 300, now: float | None = None) -> bool:  # fmt: skip
    """What a receiver does: the signature matches and the timestamp is recent."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - sent) > tolerance_seconds:
        return False
    return hmac.compare_digest(signature(secret, sent, body), header or "")


def request_body(event: OutboxEvent) -> bytes:
    body = {"id": event.pk, "type": event.event_type, "occurred_at": event.occurred_at,
            "data": event.payload}  # fmt: skip
    return json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False,
                      separators=(",", ":")).encode()  # fmt: skip


# --- subscriptions ------------------------------------------------------------------------


def check_url(url: Any) -> str:
    """A URL a webhook may be sent to: http(s), no credentials in it, https unless in DEBUG
    or on this machine, and (unless private targets are allowed) every address the host
    resolves to a global unicast one (integrations.destinations says why not)."""
    url = str(url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise _refused("url", _("Enter a valid http or https URL.")) from None
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise _refused("url", _("The URL may not carry a user name or password."))
    private_allowed = settings.WEBHOOK_ALLOW_PRIVATE_TARGETS
    local = private_allowed and parts.hostname in LOCAL_HOSTS
    if parts.scheme != "https" and not (settings.DEBUG or local):
        raise _refused("url", _("The URL must use https."))
    if not private_allowed:
        try:
            destinations.resolve(url)
        except destinations.DestinationRefused as reason:
            raise _refused(
                "url",
                _("The URL must point to a public internet address: %(reason)s.")
                % {"reason": str(reason).rstrip(".")},
            ) from None
    return url


def check_event_types(value: Any) -> list[str]:
    if not isinstance(value, list | tuple) or not value:
        raise _refused("event_types", _("Choose at least one event type."))
    unknown = [str(code) for code in value if code not in EVENT_TYPES]
    if unknown:
        raise _refused(
            "event_types", _("Unknown event types: %(codes)s.") % {"codes": ", ".join(unknown[:5])}
        )
    return sorted(set(value))


def check_name(value: Any) -> str:
    name = str(value or "").strip()
    if not name or len(name) > NAME_MAX:
        raise _refused("name", _("Give a name of at most %(max)d characters.") % {"max": NAME_MAX})
    return name


def create_subscription(*, owner: Any, name: str, url: str, event_types: Iterable[str],
                        actor: Any, active: bool = True,
                        secret: str | None = None) -> WebhookSubscription:  # fmt: skip
    """A new subscription with a fresh secret, stored sealed; the plain secret is on the
    returned instance as `revealed_secret` for the caller to show once. `secret` is for
    tests and the fault run only, never taken from a request."""
    if not getattr(owner, "is_authenticated", False) or not owner.is_active:
        raise WebhookRefused(_("Only an active account may subscribe."))
    subscription = WebhookSubscription(
        owner=owner, name=check_name(name), url=check_url(url),
        event_types=check_event_types(list(event_types)), active=bool(active),
    )  # fmt: skip
    # Kept on the instance (never saved in the clear) for the one answer that shows it.
    subscription.revealed_secret = secret or new_secret()
    set_secret(subscription, subscription.revealed_secret)
    with transaction.atomic():
        subscription.save()
        record_event(actor=actor, action="webhooks.subscription.created", obj=subscription,
                     after=snapshot(subscription, AUDITED_FIELDS))  # fmt: skip
    return subscription


def update_subscription(subscription_id: int, *, actor: Any,
                        **changes: Any) -> WebhookSubscription:  # fmt: skip
    """Change name, URL, event types or active; only the owner (or the back office)."""
    checks = {"name": check_name, "url": check_url, "event_types": check_event_types,
              "active": bool}  # fmt: skip
    unknown = set(changes) - set(checks)
    if unknown:
        raise ValueError(f"cannot change {sorted(unknown)}")
    cleaned = {field: checks[field](value) for field, value in changes.items()}
    with transaction.atomic():
        subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription_id)
        _require_owner(actor, subscription)
        before = snapshot(subscription, AUDITED_FIELDS)
        for field, value in cleaned.items():
            setattr(subscription, field, value)
        subscription.save()
        after = snapshot(subscription, AUDITED_FIELDS)
        changed = [name for name in AUDITED_FIELDS if before[name] != after[name]]
        if changed:
            record_event(actor=actor, action="webhooks.subscription.changed", obj=subscription,
                         before={n: before[n] for n in changed},
                         after={n: after[n] for n in changed})  # fmt: skip
    return subscription


def delete_subscription(subscription_id: int, *, actor: Any) -> None:
    with transaction.atomic():
        subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription_id)
        _require_owner(actor, subscription)
        record_event(actor=actor, action="webhooks.subscription.deleted", obj=subscription,
                     before=snapshot(subscription, AUDITED_FIELDS))  # fmt: skip
        subscription.delete()


def _require_owner(actor: Any, subscription: WebhookSubscription) -> None:
    if actor is None or getattr(actor, "is_staff", False) or actor.pk == subscription.owner_id:
        return
    raise NotAllowed(_("Only the subscription's owner may change it."))


# --- dispatch: the outbox to deliveries ---------------------------------------------------


def dispatch_pending(*, limit: int = DISPATCH_BATCH) -> int:
    """Turn up to `limit` undispatched events into deliveries for the subscriptions that
    want them and may see them; returns how many events were handled. Only the events
    some active subscription wants are loaded: the others (a batch run's thousands, when
    no partner listens for them) are marked handled from their ids and types alone. Safe
    to run twice at once: rows another run holds are skipped (PostgreSQL), and the
    unique pair (subscription, event) makes a repeated insert do nothing."""
    now = timezone.now()
    with transaction.atomic():
        pending = list(
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(dispatched_at__isnull=True)
            .order_by("id")
            .values_list("id", "event_type")[:limit]
        )
        if not pending:
            return 0
        subscriptions = list(
            WebhookSubscription.objects.filter(active=True).select_related(
                "owner__partner_client", "owner__department"
            )
        )
        wanted_types = {kind for s in subscriptions for kind in s.event_types}
        wanted = [pk for pk, event_type in pending if event_type in wanted_types]
        events = (list(OutboxEvent.objects.filter(any_of("pk", wanted)).order_by("id"))
                  if wanted else [])  # fmt: skip
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
        event_ids = [pk for pk, _event_type in pending]
        if deliveries:
            WebhookDelivery.objects.bulk_create(deliveries, batch_size=1000, ignore_conflicts=True)
            due = list(WebhookDelivery.objects.filter(
                any_of("event_id", wanted), status=DeliveryStatus.PENDING, attempts=0
            ).values_list("pk", flat=True))  # fmt: skip
            transaction.on_commit(lambda: enqueue_deliveries(due), robust=True)
        OutboxEvent.objects.filter(any_of("pk", event_ids)).update(dispatched_at=now)
    return len(pending)


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


# --- delivery ------------------------------------------------------------------------------


def retry_delay(attempt: int) -> timedelta:
    """After failed attempt n: about RETRY_BASE_SECONDS · 2^(n-1) (1, 2, 4 … minutes)."""
    seconds = RETRY_BASE_SECONDS * 2 ** (attempt - 1)
    return timedelta(seconds=seconds * random.uniform(1 - RETRY_JITTER, 1 + RETRY_JITTER))


def _claim(delivery_id: int) -> tuple[WebhookDelivery, bool] | None:
    """Count the attempt and take a lease, committed before the request goes out."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription__owner", "event")
            .filter(
                pk=delivery_id,
                status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED],
                next_attempt_at__lte=now,
                subscription__active=True,
            )
            .first()
        )
        if delivery is None:  # done, given up, not due, paused, or another worker has it
            return None
        if not may_receive(delivery.subscription.owner, delivery.event):
            # The owner was deactivated, moved or lost the scope since the dispatch.
            move(delivery, DeliveryStatus.GIVEN_UP, next_attempt_at=None,
                 last_error="the subscriber may no longer receive this event")  # fmt: skip
            return None
        manual = delivery.redelivery_requested
        delivery.attempts += 1
        delivery.last_attempt_at = now
        # The lease: should this worker die before booking the answer, the sweep takes
        # the delivery again once the request has surely timed out.
        delivery.next_attempt_at = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + 60)
        delivery.redelivery_requested = False
        delivery.lease += 1
        delivery.queued_at = None  # out of the queue: the sweep may queue it again when due
        delivery.save(update_fields=["attempts", "last_attempt_at", "next_attempt_at",
                                     "redelivery_requested", "lease", "queued_at"])  # fmt: skip
    return delivery, manual


def _loop_running() -> bool:
    """Whether this thread runs an event loop (a caller under ASGI, or a browser driver)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def tls_verification() -> ssl.SSLContext | bool:
    """How a receiver's certificate is checked: the system's trust store (tests trust
    their own authority here)."""
    return True


def post_with_deadline(url: str, *, content: bytes, headers: dict[str, str], timeout: float,
                       follow_redirects: bool = False,
                       extensions: dict[str, Any] | None = None) -> httpx.Response:  # fmt: skip
    """POST where `timeout` bounds the whole exchange. httpx's own timeout bounds each
    read, so a receiver dripping its answer a byte at a time could hold a worker for
    ever; cancelling the request at the deadline cannot be outwaited. `extensions` go
    to httpx's request (`sni_hostname` for a URL that names the resolved address)."""

    async def send() -> httpx.Response:
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=follow_redirects,
                                     verify=tls_verification()) as client:  # fmt: skip
            return await client.post(url, content=content, headers=headers,
                                     extensions=extensions or {})  # fmt: skip

    def exchange() -> httpx.Response:
        return asyncio.run(asyncio.wait_for(send(), timeout))

    try:
        if _loop_running():  # asyncio.run() refuses to nest: a thread of its own, then
            with ThreadPoolExecutor(max_workers=1) as pool:
                return pool.submit(exchange).result()
        return exchange()
    except TimeoutError as late:
        raise httpx.TimeoutException(f"no complete answer within {timeout:g} s") from late


def deliver(delivery_id: int) -> WebhookDelivery | None:
    """One attempt, if the delivery is due: POST, record the attempt, then succeeded,
    failed (next try scheduled) or given up. None when there was nothing to do."""
    claimed = _claim(delivery_id)
    if claimed is None:
        return None
    delivery, manual = claimed
    subscription, event = delivery.subscription, delivery.event
    body = request_body(event)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Qinqing-Event": event.event_type,
        "X-Qinqing-Event-Id": str(event.pk),
        "X-Qinqing-Delivery": str(delivery.pk),
        "X-Qinqing-Timestamp": str(timestamp),
    }
    started_at = timezone.now()
    started = time.perf_counter()
    status_code, error = None, ""
    try:
        try:
            secret = signing_secret(subscription)
        except sealing.SecretUnreadable as problem:
            raise httpx.RequestError(f"not sent: {problem}") from None
        headers["X-Qinqing-Signature"] = signature(secret, timestamp, body)
        # Resolved once, here, and sent to that address: a name answering otherwise by the
        # time httpx would connect (DNS rebinding) is never asked again.
        try:
            destination = destinations.resolve(
                subscription.url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_TARGETS
            )
        except destinations.DestinationRefused as reason:
            raise httpx.ConnectError(f"not sent: {reason}") from None
        url, host_header, extensions = destination.pinned()
        response = post_with_deadline(url, content=body, headers={**headers, **host_header},
                                      timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
                                      follow_redirects=False,
                                      extensions=extensions)  # fmt: skip
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except httpx.HTTPError as problem:
        error = f"{type(problem).__name__}: {problem}"
    elapsed_ms = round((time.perf_counter() - started) * 1000)
    succeeded = not error
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery, number=delivery.attempts, manual=manual, started_at=started_at,
            status_code=status_code, error=error[:300], response_ms=elapsed_ms,
            succeeded=succeeded,
        )  # fmt: skip
        if succeeded:
            outcome, next_attempt_at = DeliveryStatus.SUCCEEDED, None
        elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            outcome, next_attempt_at = DeliveryStatus.GIVEN_UP, None
        else:
            outcome = DeliveryStatus.FAILED
            next_attempt_at = timezone.now() + retry_delay(delivery.attempts)
        # Only while the lease is ours: a redelivery by hand meanwhile, or a later attempt
        # after this one's lease ran out, wins. The row is locked with its lease checked,
        # so the lease cannot change between the check and the booking.
        leased = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .filter(pk=delivery.pk, lease=delivery.lease)
            .first()
        )
        if leased is None:
            return delivery
        delivery = move(leased, outcome, next_attempt_at=next_attempt_at,
                        last_status_code=status_code, last_error=error[:300],
                        response_ms=elapsed_ms)  # fmt: skip
    return delivery


def redeliver(delivery_id: int, *, actor: Any) -> WebhookDelivery:
    """Send a delivery again now, whatever became of it: a fresh series of attempts (the
    earlier ones stay on record); the next attempt is marked as asked for by hand."""
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update(of=("self",))
                    .select_related("subscription").get(pk=delivery_id))  # fmt: skip
        _require_owner(actor, delivery.subscription)
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
