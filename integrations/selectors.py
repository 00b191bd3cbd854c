"""Who may receive which event, and the scoped reads of subscriptions and deliveries."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from accounts.models import User
from enterprises.models import EnterpriseMembership
from qinqing.events.models import OutboxEvent

from .models import WebhookDelivery, WebhookSubscription

# The scope a partner client needs to receive each event: the one that reads the same
# records over the API.
EVENT_SCOPES = {
    "claim.paid": "claims:read",
    "claim.ineligible": "claims:read",
    "approval.decided": "approvals:read",
    "permit.issued": "approvals:read",
    "credit.record_added": "credit:read",
}


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
    """The pages' scoping, applied to an event: members get their enterprises' events;
    officials their department's (in their district when district-scoped); auditors and
    administrators everything; nobody else anything. `enterprise_ids` (the user's
    enterprises) spares a query when many events are checked."""
    if not user.is_active:
        return False
    partner = getattr(user, "partner_client", None)
    if partner is not None and not (
        partner.is_active and EVENT_SCOPES.get(event.event_type) in partner.scopes
    ):
        return False  # a partner client gets only what its scopes let it read
    if user.sees_everything:
        return True
    if user.is_official:
        if event.department_id is None or event.department_id != user.department_id:
            return False
        return user.district_id is None or user.district_id == event.district_id
    if user.is_enterprise_member:
        if event.enterprise_id is None:
            return False
        if enterprise_ids is None:
            enterprise_ids = member_enterprises([user.pk]).get(user.pk, set())
        return event.enterprise_id in enterprise_ids
    return False


def subscriptions_of(user: User) -> QuerySet[WebhookSubscription]:
    """Everyone manages their own subscriptions only (another's is a 404)."""
    if not user.is_authenticated:
        return WebhookSubscription.objects.none()
    return WebhookSubscription.objects.filter(owner=user)


def deliveries_of(user: User) -> QuerySet[WebhookDelivery]:
    if not user.is_authenticated:
        return WebhookDelivery.objects.none()
    return WebhookDelivery.objects.filter(subscription__owner=user).select_related(
        "event", "subscription"
    )
