"""Who may receive which event, and the scoped reads of subscriptions and deliveries."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from enterprises.models import EnterpriseMembership
from qinqing.events.models import OutboxEvent
from qinqing.events.registry import EVENT_TYPES
from qinqing.scoping import (
    Reach,
    is_acting_official,
    is_active_user,
    is_member,
    official_covers,
    rule_for,
    sees_everything,
    visible_to,
)
from qinqing.workqueues import QueueReading, Waiting

from .models import DeliveryStatus, WebhookDelivery, WebhookSubscription


def read_scope(event_type: str) -> str | None:
    """The scope a partner client needs to receive an event: the one that reads the same
    records over the API (declared with the event type)."""
    registered = EVENT_TYPES.get(event_type)
    return registered.read_scope if registered is not None else None


def member_enterprises(user_ids: Iterable[int]) -> dict[int, set[int]]:
    """Each user's enterprises, for many users in one query."""
    found: dict[int, set[int]] = {}
    rows = EnterpriseMembership.objects.filter(user_id__in=list(user_ids)).values_list(
        "user_id", "enterprise_id"
    )
    for user_id, enterprise_id in rows:
        found.setdefault(user_id, set()).add(enterprise_id)
    return found


def may_receive(user: User, event: OutboxEvent, *, enterprise_ids: set[int] | None = None) -> bool:
    """The pages' scoping (qinqing.scoping), applied to an event: members get their
    enterprises' events; officials their department's (in their district when
    district-scoped); auditors and administrators everything; an inactive account or an
    official of a deactivated department nothing. `enterprise_ids` (the user's enterprises)
    spares a query when many events are checked."""
    if not is_active_user(user):
        return False
    partner = getattr(user, "partner_client", None)
    if partner is not None and not (
        partner.is_active and read_scope(event.event_type) in partner.scopes
    ):
        return False  # a partner client gets only what its scopes let it read
    if sees_everything(user):
        return True
    if official_covers(user, department_id=event.department_id, district_id=event.district_id):
        return event.department_id is not None
    if event.enterprise_id is None:
        return False
    if enterprise_ids is not None:
        return event.enterprise_id in enterprise_ids
    return is_member(user, event.enterprise_id)


def subscriptions_of(user: User) -> QuerySet[WebhookSubscription]:
    """Everyone manages their own subscriptions only (another's is a 404)."""
    return visible_to(user, WebhookSubscription)


def deliveries_of(user: User) -> QuerySet[WebhookDelivery]:
    return visible_to(user, WebhookDelivery).select_related("event", "subscription")


# An official answers for the partner systems bound to their department (and district).
PARTNERS_OF_OFFICIALS = Reach(department="subscription__owner__department",
                              district="subscription__owner__district")  # fmt: skip
FAILED = (DeliveryStatus.FAILED, DeliveryStatus.GIVEN_UP)


def failed_partner_deliveries(user: User) -> QuerySet[WebhookDelivery]:
    """Deliveries to the department's partner systems that failed (to be retried) or were
    given up, newest first."""
    deliveries = WebhookDelivery.objects.filter(
        status__in=FAILED, subscription__owner__partner_client__isnull=False
    )
    rule = rule_for(user, PARTNERS_OF_OFFICIALS)
    if rule is not None:
        deliveries = deliveries.filter(rule)
    return deliveries.select_related("event", "subscription").order_by("-created_at", "-pk")


def partner_failures_queue(user: Any, now: datetime) -> QueueReading | None:
    """The officials' work queue of failed webhook deliveries (qinqing.workqueues)."""
    if not is_acting_official(user):
        return None
    failed = failed_partner_deliveries(user)
    items = [
        Waiting(subject=delivery.subscription.name,
                asked=_("%(event)s: %(status)s after %(attempts)d attempt(s), last answer %(code)s")
                % {"event": delivery.event.event_type, "status": delivery.get_status_display(),
                   "attempts": delivery.attempts, "code": delivery.last_status_code or "—"},
                action=_("See the deliveries"),
                url=reverse("admin:integrations_webhookdelivery_change", args=[delivery.pk]),
                due=delivery.next_attempt_at if delivery.status == DeliveryStatus.FAILED
                else None, due_label=_("Next attempt"))
        for delivery in failed[:5]
    ]  # fmt: skip
    url = reverse("admin:integrations_webhookdelivery_changelist") + "?status__exact=failed"
    count = failed.count()
    return QueueReading(title=_("Failed webhook deliveries to your partners"), count=count,
                        url=url, items=items, urgent=count)  # fmt: skip


def wanted_event_types() -> set[str]:
    """The event types some active subscription wants now: the outbox writes the others
    already handled (qinqing.events.registry.CONSUMERS)."""
    return {kind for kinds in WebhookSubscription.objects.filter(active=True)
            .values_list("event_types", flat=True) for kind in kinds or ()}  # fmt: skip
