"""One delivery attempt: claimed, signed, POSTed within a deadline, booked (succeeded,
failed with the next try after a back-off, or given up).

Delivery is at least once: an attempt is claimed (attempt counted, a lease on
`next_attempt_at`) and committed before the POST, and its outcome is booked after it, so
a worker killed mid-request leaves a delivery the retry sweep takes again once the lease
runs out. Partners deduplicate on the event id (X-Qinqing-Event-Id / `id`).

Where a delivery may go, and the address it is sent to, is `destinations.py` (resolved
once, connected to that address); the signing secrets are sealed at rest (`sealing.py`).
"""

from __future__ import annotations

import asyncio
import random
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from qinqing.transitions import move

from . import destinations, sealing
from .models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from .selectors import may_receive
from .signing import request_body, signature, signing_secret

# Delay before retry n (n = 1, 2, …): RETRY_BASE_SECONDS · 2^(n-1), ±20 % jitter so that
# a partner coming back up is not hit by every delivery in the same second.
RETRY_BASE_SECONDS = 60


RETRY_JITTER = 0.2


USER_AGENT = "Qinqing-Webhooks/1"


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
