"""Signing secrets: sealed at rest with WEBHOOK_SECRET_KEY, shown once in the answer that
created the subscription, never in a list, a detail or an idempotent replay."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.test import APIClient

from integrations import delivering, dispatching, sealing, signing
from integrations.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from qinqing.idempotency.models import IdempotencyKey

from .conftest import URL, record_event_for, subscribe

pytestmark = pytest.mark.django_db
SUBSCRIPTIONS = "/api/v1/webhooks/subscriptions/"


def test_the_database_holds_no_plain_secret(world):
    subscription = subscribe(world["auditor"])
    secret = subscription.revealed_secret
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM integrations_webhooksubscription")
        row = json.dumps(cursor.fetchall(), default=str)
    assert secret not in row and secret[:-4] not in row and "whsec_" not in row
    stored = WebhookSubscription.objects.get()
    assert signing.signing_secret(stored) == secret and stored.secret_tail == secret[-4:]


def test_the_key_comes_from_settings_and_can_be_rotated(world, settings, endpoint):
    settings.WEBHOOK_SECRET_KEY = "old key"
    subscription = subscribe(world["auditor"])
    secret = subscription.revealed_secret
    settings.WEBHOOK_SECRET_KEY = "another key"
    with pytest.raises(sealing.SecretUnreadable):
        signing.signing_secret(subscription)
    # A rotation: the new key first seals, the old one still opens.
    settings.WEBHOOK_SECRET_KEY = "new key, old key"
    assert signing.signing_secret(subscription) == secret
    resealed = sealing.reseal(subscription.sealed_secret)
    settings.WEBHOOK_SECRET_KEY = "new key"
    assert sealing.unseal(resealed) == secret


def test_a_rotation_reseals_every_secret_with_the_new_key(world, settings):
    from io import StringIO

    from django.core.management import call_command

    settings.WEBHOOK_SECRET_KEY = "old key"
    secrets = [subscribe(world["auditor"]).revealed_secret for _ in range(2)]
    settings.WEBHOOK_SECRET_KEY = "new key,old key"
    out = StringIO()
    call_command("reseal_webhook_secrets", stdout=out)
    assert "2 secrets re-sealed, 0 unreadable" in out.getvalue()
    settings.WEBHOOK_SECRET_KEY = "new key"  # the old key dropped
    stored = WebhookSubscription.objects.order_by("pk")
    assert [signing.signing_secret(subscription) for subscription in stored] == secrets


def test_a_secret_the_key_cannot_open_sends_nothing_and_says_why(world, settings, endpoint):
    subscription = subscribe(world["auditor"])
    record_event_for(world["a"])
    dispatching.dispatch_pending()
    settings.WEBHOOK_SECRET_KEY = "a key that was never used"
    delivery = delivering.deliver(WebhookDelivery.objects.get(subscription=subscription).pk)
    assert endpoint.requests == [] and delivery.status == DeliveryStatus.FAILED
    assert "cannot be opened with WEBHOOK_SECRET_KEY" in delivery.last_error


def test_a_replayed_creation_does_not_show_the_secret_again(world):
    client = APIClient()
    client.force_authenticate(world["member_a"])
    body = {"name": "ERP", "url": URL, "event_types": ["claim.paid"]}
    first = client.post(SUBSCRIPTIONS, body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == 201
    secret = first.json()["secret"]
    assert secret == signing.signing_secret(WebhookSubscription.objects.get())
    # What the key keeps to replay holds no secret...
    kept = json.dumps(IdempotencyKey.objects.get().response)
    assert secret not in kept and "secret_hint" in kept
    # ...so the replay is the same answer without it (same id, nothing created again).
    again = client.post(SUBSCRIPTIONS, body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    replayed = again.json()
    assert "secret" not in replayed and secret not in json.dumps(replayed)
    assert replayed == {k: v for k, v in first.json().items() if k != "secret"}
    assert WebhookSubscription.objects.count() == 1


def test_the_secret_is_in_no_list_or_detail(world):
    client = APIClient()
    client.force_authenticate(world["member_a"])
    body = {"name": "ERP", "url": URL, "event_types": ["claim.paid"]}
    created = client.post(SUBSCRIPTIONS, body, format="json").json()
    secret = created["secret"]
    for path in (SUBSCRIPTIONS, f"{SUBSCRIPTIONS}{created['id']}/"):
        answer = client.get(path)
        assert answer.status_code == 200 and secret not in answer.content.decode()
    changed = client.patch(f"{SUBSCRIPTIONS}{created['id']}/", {"name": "ERP 2"}, format="json")
    assert changed.status_code == 200 and "secret" not in changed.json()


@pytest.mark.django_db(transaction=True)
def test_the_migration_seals_the_plain_secrets_already_stored(reference_data, world):
    """integrations 0003: a subscription saved with a plain secret before it keeps the
    same secret, sealed, and the plain column is gone."""
    before = [("integrations", "0002_delivery_lease")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    executor.loader.build_graph()
    old = executor.loader.project_state(before).apps.get_model("integrations",
                                                               "WebhookSubscription")  # fmt: skip
    plain = "whsec_" + "ab" * 24
    old.objects.create(owner_id=world["auditor"].pk, name="old", url=URL,
                       event_types=["claim.paid"], secret=plain)  # fmt: skip
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    stored = WebhookSubscription.objects.get(name="old")
    assert signing.signing_secret(stored) == plain and stored.secret_tail == plain[-4:]
    assert plain not in stored.sealed_secret
    columns = [c.name for c in connection.introspection.get_table_description(
        connection.cursor(), WebhookSubscription._meta.db_table)]  # fmt: skip
    assert "secret" not in columns and "sealed_secret" in columns
