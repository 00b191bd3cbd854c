"""The back office: a subscription's secret is shown once when added, masked after;
deliveries are read-only with a redelivery action that auditors cannot use."""

import pytest
from django.test import Client

from integrations import delivering, dispatching, signing
from integrations.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from qinqing.audit.models import AuditEvent
from tests.factories import AdminFactory

from .conftest import URL, record_event_for, subscribe

pytestmark = pytest.mark.django_db


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_added_subscription_shows_its_secret_once(world):
    admin = AdminFactory()
    client = as_user(admin)
    answer = client.post("/admin/integrations/webhooksubscription/add/", {
        "owner": world["auditor"].pk, "name": "监管平台", "url": URL,
        "event_types": ["claim.paid", "permit.issued"], "active": "on",
    }, follow=True)  # fmt: skip
    assert answer.status_code == 200
    subscription = WebhookSubscription.objects.get()
    assert subscription.event_types == ["claim.paid", "permit.issued"]
    secret = signing.signing_secret(subscription)
    assert secret.startswith("whsec_") and secret not in subscription.sealed_secret
    assert secret in answer.content.decode()  # the message, this once
    page = client.get(f"/admin/integrations/webhooksubscription/{subscription.pk}/change/")
    assert secret not in page.content.decode() and secret[-4:] in page.content.decode()
    assert AuditEvent.objects.filter(action="admin.add", object_type__contains="webhook").exists()
    assert secret not in str(list(AuditEvent.objects.values("after")))


def test_plain_http_is_refused_in_the_back_office_too(world):
    answer = as_user(AdminFactory()).post("/admin/integrations/webhooksubscription/add/", {
        "owner": world["auditor"].pk, "name": "x", "url": "http://partner.example.com/",
        "event_types": ["claim.paid"],
    })  # fmt: skip
    assert answer.status_code == 200 and not WebhookSubscription.objects.exists()


def test_administrators_redeliver_and_auditors_only_look(world, endpoint, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    endpoint.answers = [500]
    subscribe(world["member_a"])
    record_event_for(world["a"])
    dispatching.dispatch_pending()
    delivery = WebhookDelivery.objects.get()
    delivering.deliver(delivery.pk)
    changelist = "/admin/integrations/webhookdelivery/"
    action = {"action": "redeliver", "_selected_action": [delivery.pk]}
    auditor = as_user(world["auditor"])
    assert auditor.get(f"{changelist}{delivery.pk}/change/").status_code == 200
    auditor.post(changelist, action)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.GIVEN_UP
    as_user(AdminFactory()).post(changelist, action, follow=True)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.redelivery_requested
