"""Webhook subscriptions: the URL (https, public addresses: `destinations.py`), the event
types and the name checked; created with a fresh secret, changed or deleted by the owner,
each change audited without the secret."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from qinqing.audit.services import record_event, snapshot
from qinqing.errors import NotAllowed, Refused
from qinqing.events.registry import EVENT_TYPES

from . import destinations
from .models import WebhookSubscription
from .signing import new_secret, set_secret

# Plain http: in DEBUG, or to a receiver on this machine where private targets are allowed.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


NAME_MAX = 100


# What the audit trail keeps of a subscription: never the secret.
AUDITED_FIELDS = ["owner_id", "name", "url", "event_types", "active"]


class WebhookRefused(Refused):
    """A subscription that cannot be saved as asked; the message says why."""

    code = "webhook_refused"


def _refused(field: str, message: str) -> WebhookRefused:
    """A refusal of one field's value, shown beside that field."""
    return WebhookRefused(message, fields={field: [message]})


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
        require_owner(actor, subscription)
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
        require_owner(actor, subscription)
        record_event(actor=actor, action="webhooks.subscription.deleted", obj=subscription,
                     before=snapshot(subscription, AUDITED_FIELDS))  # fmt: skip
        subscription.delete()


def require_owner(actor: Any, subscription: WebhookSubscription) -> None:
    if actor is None or getattr(actor, "is_staff", False) or actor.pk == subscription.owner_id:
        return
    raise NotAllowed(_("Only the subscription's owner may change it."))
