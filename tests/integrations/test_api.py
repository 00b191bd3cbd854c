"""/api/v1/webhooks/: own subscriptions and deliveries only; the secret once."""

import pytest
from rest_framework.test import APIClient

from integrations import delivering, dispatching, signing
from integrations.models import DeliveryStatus, WebhookDelivery, WebhookSubscription

from .conftest import URL, record_event_for, subscribe

pytestmark = pytest.mark.django_db
SUBSCRIPTIONS = "/api/v1/webhooks/subscriptions/"
DELIVERIES = "/api/v1/webhooks/deliveries/"


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_creating_returns_the_secret_once(world):
    client = as_user(world["member_a"])
    answer = client.post(SUBSCRIPTIONS, {"name": "ERP", "url": URL,
                                         "event_types": ["claim.paid", "claim.paid"]},
                         format="json")  # fmt: skip
    assert answer.status_code == 201, answer.json()
    created = answer.json()
    stored = WebhookSubscription.objects.get(pk=created["id"])
    secret = signing.signing_secret(stored)
    assert created["secret"] == secret and secret.startswith("whsec_")
    assert created["event_types"] == ["claim.paid"] and stored.owner == world["member_a"]
    again = client.get(f"{SUBSCRIPTIONS}{stored.pk}/").json()
    assert "secret" not in again and again["secret_hint"] == f"whsec_…{secret[-4:]}"
    assert secret not in str(client.get(SUBSCRIPTIONS).json())


@pytest.mark.parametrize(
    "body",
    [{"name": "x", "url": "http://partner.example.com/", "event_types": ["claim.paid"]},
     {"name": "x", "url": URL, "event_types": []},
     {"name": "x", "url": URL, "event_types": ["claim.nope"]},
     {"name": "", "url": URL, "event_types": ["claim.paid"]}],
)  # fmt: skip
def test_bad_subscriptions_are_refused_with_the_reason(world, body):
    answer = as_user(world["member_a"]).post(SUBSCRIPTIONS, body, format="json")
    assert answer.status_code == 400 and answer.json()
    assert not WebhookSubscription.objects.exists()


def test_another_user_s_subscription_is_not_found(world):
    mine = subscribe(world["member_a"])
    client = as_user(world["member_b"])
    assert client.get(SUBSCRIPTIONS).json()["results"] == []
    for method in ("get", "patch", "delete"):
        assert getattr(client, method)(f"{SUBSCRIPTIONS}{mine.pk}/").status_code == 404
    assert WebhookSubscription.objects.filter(pk=mine.pk, active=True).exists()


def test_the_owner_changes_and_deletes_it(world):
    mine = subscribe(world["member_a"])
    client = as_user(world["member_a"])
    answer = client.patch(f"{SUBSCRIPTIONS}{mine.pk}/", {"active": False, "name": "新名称"},
                          format="json")  # fmt: skip
    assert answer.status_code == 200 and answer.json()["active"] is False
    assert client.patch(f"{SUBSCRIPTIONS}{mine.pk}/", {"url": "http://x.example/"},
                        format="json").status_code == 400  # fmt: skip
    assert client.delete(f"{SUBSCRIPTIONS}{mine.pk}/").status_code == 204
    assert not WebhookSubscription.objects.exists()


def test_event_types_are_listed(world):
    answer = as_user(world["member_a"]).get(f"{SUBSCRIPTIONS}event-types/").json()
    assert {row["code"] for row in answer} == {
        "claim.paid", "claim.ineligible", "claim.withdrawn", "approval.decided",
        "permit.issued", "credit.record_added", "dispute.decided", "recovery_order.raised",
        "recovery_order.paused", "recovery_order.settled", "recovery_order.waived",
    }  # fmt: skip


def test_deliveries_are_the_owner_s_filtered_by_status_and_redeliverable(world, endpoint):
    endpoint.answers = [500]
    mine, theirs = subscribe(world["member_a"]), subscribe(world["member_b"])
    record_event_for(world["a"])
    record_event_for(world["b"])
    dispatching.dispatch_pending()
    for delivery in WebhookDelivery.objects.order_by("pk"):
        delivering.deliver(delivery.pk)
    client = as_user(world["member_a"])
    rows = client.get(DELIVERIES).json()["results"]
    assert [row["subscription"] for row in rows] == [mine.pk]
    assert rows[0]["status"] == "failed" and rows[0]["attempt_log"][0]["status_code"] == 500
    assert client.get(DELIVERIES, {"status": "succeeded"}).json()["results"] == []
    other = WebhookDelivery.objects.get(subscription=theirs)
    assert client.post(f"{DELIVERIES}{other.pk}/redeliver/").status_code == 404
    answer = client.post(f"{DELIVERIES}{rows[0]['id']}/redeliver/")
    assert answer.status_code == 202
    # In-process tasks: queued on commit (none in this test's transaction) or by hand here.
    delivering.deliver(rows[0]["id"])
    assert WebhookDelivery.objects.get(pk=rows[0]["id"]).status == DeliveryStatus.SUCCEEDED


def test_anonymous_callers_are_refused(db):
    assert APIClient().get(SUBSCRIPTIONS).status_code == 401
    assert APIClient().get(DELIVERIES).status_code == 401
