"""The scoping cases the role ladders used to miss, on the register, the data hub's call log
and webhooks: an inactive account sees nothing, an official of a deactivated department
sees nothing, and an official moved to another district sees the new district's rows and
no longer the old one's. Each through the pages and the API a person uses, and through
the selectors that partner clients and the webhook dispatcher share."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from datahub.models import CallOutcome, DataCall
from datahub.selectors import data_calls_visible_to
from enterprises.selectors import enterprises_visible_to
from integrations import delivering, dispatching, subscribing
from integrations import selectors as webhook_selectors
from integrations.models import DeliveryStatus, WebhookDelivery
from qinqing.events.services import emit
from tests.factories import EnterpriseFactory, OfficialFactory, department, district, member_of

pytestmark = pytest.mark.django_db

URL = "https://partner.example.com/hooks"


@pytest.fixture
def city():
    xihu, binjiang = district("xihu"), district("binjiang")
    market = department("market")
    a, b = EnterpriseFactory(district=xihu), EnterpriseFactory(district=binjiang)
    calls = {
        enterprise.pk: DataCall.objects.create(
            department=market,
            interface="market.licence",
            enterprise=enterprise,
            fact_names=["market.licence_status"],
            purpose="test",
            transport="local",
            started_at=timezone.now(),
            latency_ms=1.0,
            outcome=CallOutcome.OK,
        )
        for enterprise in (a, b)
    }
    return {"a": a, "b": b, "xihu": xihu, "binjiang": binjiang, "market": market,
            "calls": calls}  # fmt: skip


def api_as(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def listed_usccs(client: APIClient) -> set[str]:
    return {row["uscc"] for row in client.get("/api/v1/enterprises/").json()["results"]}


def listed_calls(client: APIClient) -> set[int]:
    return {row["id"] for row in client.get("/api/v1/data-calls/").json()["results"]}


# --- inactive accounts -------------------------------------------------------------------


def test_an_inactive_member_sees_none_of_their_enterprises(city, client):
    member = member_of(city["a"])
    member.is_active = False
    member.save()
    assert not enterprises_visible_to(member).exists()
    assert not data_calls_visible_to(member).exists()
    # Their session and their token stop working too.
    client.force_login(member)
    assert client.get("/enterprises/").status_code == 302
    assert api_as(member).get("/api/v1/enterprises/").status_code == 401


def test_an_inactive_official_sees_nothing(city):
    official = OfficialFactory(department=city["market"], district=None)
    assert enterprises_visible_to(official).count() == 2
    official.is_active = False
    official.save()
    assert not enterprises_visible_to(official).exists()
    assert not data_calls_visible_to(official).exists()


def test_an_inactive_subscriber_receives_nothing(city):
    member = member_of(city["a"])
    subscription = subscribe(member)
    member.is_active = False
    member.save()
    event = credit_event(city["a"])
    dispatching.dispatch_pending()
    assert not webhook_selectors.may_receive(member, event)
    assert not WebhookDelivery.objects.filter(subscription=subscription).exists()
    assert not webhook_selectors.subscriptions_of(member).exists()


# --- deactivated departments -------------------------------------------------------------


def deactivate(department_row) -> None:
    department_row.is_active = False
    department_row.save(update_fields=["is_active"])


def test_an_official_of_a_deactivated_department_sees_nothing_on_pages_and_api(city, client):
    official = OfficialFactory(department=city["market"], district=None)
    api = api_as(official)
    assert listed_usccs(api) == {city["a"].uscc, city["b"].uscc}
    assert len(listed_calls(api)) == 2
    deactivate(city["market"])
    assert listed_usccs(api) == set()
    assert listed_calls(api) == set()
    client.force_login(official)
    assert list(client.get("/enterprises/").context["page"]) == []
    # The officials' pages are closed to them (qinqing.scoping.reads_as_official).
    assert client.get("/official/data-calls/").status_code == 403
    assert client.get(f"/enterprises/{city['a'].uscc}/").status_code == 404


def test_an_official_of_a_deactivated_department_receives_no_webhook(city):
    official = OfficialFactory(department=city["market"], district=None)
    subscription = subscribe(official)
    due = credit_event(city["a"])
    dispatching.dispatch_pending()
    delivery = WebhookDelivery.objects.get(subscription=subscription, event=due)
    deactivate(city["market"])
    later = credit_event(city["b"])
    dispatching.dispatch_pending()
    assert not WebhookDelivery.objects.filter(subscription=subscription, event=later).exists()
    # The delivery handed out before the department closed is given up, never sent.
    assert delivering.deliver(delivery.pk) is None
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.GIVEN_UP and delivery.attempts == 0


# --- officials moved between districts ---------------------------------------------------


def move_to(official, new_district) -> None:
    official.district = new_district
    official.save(update_fields=["district"])


def test_an_official_moved_to_another_district_sees_the_new_districts_enterprises(city, client):
    official = OfficialFactory(department=city["market"], district=city["xihu"])
    api = api_as(official)
    assert listed_usccs(api) == {city["a"].uscc}
    assert listed_calls(api) == {city["calls"][city["a"].pk].pk}
    move_to(official, city["binjiang"])
    assert listed_usccs(api) == {city["b"].uscc}
    assert listed_calls(api) == {city["calls"][city["b"].pk].pk}
    client.force_login(official)
    assert [e.uscc for e in client.get("/enterprises/").context["page"]] == [city["b"].uscc]
    assert client.get(f"/enterprises/{city['a'].uscc}/").status_code == 404
    assert client.get(f"/enterprises/{city['b'].uscc}/").status_code == 200
    shown = [call.pk for call in client.get("/official/data-calls/").context["page"]]
    assert shown == [city["calls"][city["b"].pk].pk]


def test_an_official_moved_to_another_district_receives_its_events_only(city):
    official = OfficialFactory(department=city["market"], district=city["xihu"])
    subscription = subscribe(official)
    before = {credit_event(city["a"]).pk}
    credit_event(city["b"])
    dispatching.dispatch_pending()
    assert received(subscription) == before
    move_to(official, city["binjiang"])
    on_a, on_b = credit_event(city["a"]), credit_event(city["b"])
    dispatching.dispatch_pending()
    assert received(subscription) == before | {on_b.pk}
    assert on_a.pk not in received(subscription)


# --- helpers -------------------------------------------------------------------------------


def subscribe(owner):
    return subscribing.create_subscription(
        owner=owner, name="hook", url=URL, event_types=["credit.record_added"], actor=owner
    )


def credit_event(enterprise):
    return emit("credit.record_added", {"title": "test"},
                subject=f"credit-record:{enterprise.pk}", enterprise_id=enterprise.pk,
                department_id=department("market").pk,
                district_id=enterprise.district_id)  # fmt: skip


def received(subscription) -> set[int]:
    return set(WebhookDelivery.objects.filter(subscription=subscription)
               .values_list("event_id", flat=True))  # fmt: skip


@pytest.fixture(autouse=True)
def _public_hosts(monkeypatch, settings):
    """partner.example.com stands for a partner on the internet; nothing is posted here."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    monkeypatch.setattr(
        "integrations.destinations.resolve_host", lambda host, port: ["93.184.216.34"]
    )
    monkeypatch.setattr(dispatching, "enqueue_deliveries", lambda delivery_ids: None)
