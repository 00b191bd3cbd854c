"""Signing secrets and signatures: a subscription's secret (sealed at rest by
`sealing.py`, only its tail readable), a key rotation, the HMAC signature of a delivery's
body and timestamp, and how a receiver verifies it."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from qinqing.events.models import OutboxEvent

from . import sealing
from .models import WebhookSubscription

SIGNATURE_SCHEME = "v1"


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
