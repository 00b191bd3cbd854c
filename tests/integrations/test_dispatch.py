"""Handing out the outbox: each event to the subscriptions that want it and whose owner
may see it (the pages' scoping), once, however often the dispatcher runs."""

import pytest

from integrations import dispatching, selectors
from integrations.models import WebhookDelivery
from qinqing.events.models import OutboxEvent
from qinqing.events.services import emit
from tests.factories import department

from .conftest import record_event_for, subscribe

pytestmark = pytest.mark.django_db


def received(subscription) -> set[int]:
    return set(WebhookDelivery.objects.filter(subscription=subscription)
               .values_list("event_id", flat=True))  # fmt: skip


def test_nobody_receives_another_enterprise_or_department_s_events(world):
    subscriptions = {who: subscribe(world[who]) for who in
                     ("member_a", "member_b", "market_city", "market_binjiang", "hrss_city",
                      "auditor")}  # fmt: skip
    on_a = record_event_for(world["a"])  # market, Xihu
    on_b = record_event_for(world["b"])  # market, Binjiang
    paid_b = emit(
        "claim.paid",
        {"claim": 1},
        enterprise_id=world["b"].pk,
        department_id=department("hrss").pk,
        district_id=world["b"].district_id,
    )
    assert dispatching.dispatch_pending() == 3
    assert received(subscriptions["member_a"]) == {on_a.pk}
    assert received(subscriptions["member_b"]) == {on_b.pk, paid_b.pk}
    assert received(subscriptions["market_city"]) == {on_a.pk, on_b.pk}
    assert received(subscriptions["market_binjiang"]) == {on_b.pk}
    assert received(subscriptions["hrss_city"]) == {paid_b.pk}
    assert received(subscriptions["auditor"]) == {on_a.pk, on_b.pk, paid_b.pk}


def test_only_the_subscribed_types_and_active_subscriptions_receive(world):
    claims_only = subscribe(world["auditor"], types=["claim.paid"])
    paused = subscribe(world["auditor"], active=False)
    record_event_for(world["a"])
    dispatching.dispatch_pending()
    assert received(claims_only) == set() and received(paused) == set()


def test_a_deactivated_account_receives_nothing(world):
    subscription = subscribe(world["member_a"])
    world["member_a"].is_active = False
    world["member_a"].save()
    record_event_for(world["a"])
    dispatching.dispatch_pending()
    assert received(subscription) == set()


def test_an_event_without_an_enterprise_reaches_no_member(world):
    event = emit("approval.decided", {"outcome": "approved"}, enterprise_id=None,
                 department_id=department("market").pk)  # fmt: skip
    assert not selectors.may_receive(world["member_a"], event)
    assert selectors.may_receive(world["market_city"], event)
    assert not selectors.may_receive(world["market_binjiang"], event)  # no district: not hers


def test_dispatching_twice_makes_one_delivery_each(world):
    subscription = subscribe(world["auditor"])
    first, second = record_event_for(world["a"]), record_event_for(world["b"])
    assert dispatching.dispatch_pending() == 2
    assert dispatching.dispatch_pending() == 0  # already handed out
    # A second dispatcher that read the same rows before the first committed (the race
    # skip_locked prevents on PostgreSQL): the unique pair keeps one delivery each.
    OutboxEvent.objects.update(dispatched_at=None)
    assert dispatching.dispatch_pending() == 2
    assert received(subscription) == {first.pk, second.pk}
    assert WebhookDelivery.objects.count() == 2
    assert not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()


def test_dispatch_reads_in_a_few_queries_whatever_the_number_of_events(
    world, django_assert_max_num_queries
):
    for who in ("member_a", "member_b", "market_city", "auditor"):
        subscribe(world[who])
    for _ in range(30):
        record_event_for(world["a"])
        record_event_for(world["b"])
    # pending ids, subscriptions, the wanted events, memberships, insert, delivery ids,
    # mark dispatched (+ savepoints)
    with django_assert_max_num_queries(11):
        assert dispatching.dispatch_pending() == 60
    # the auditor and the city-wide market official 60 each, each member their 30
    assert WebhookDelivery.objects.count() == 180


def test_events_nobody_listens_for_are_handled_without_being_loaded(
    world, django_assert_max_num_queries
):
    """Events written while a partner listened, its subscription paused before they were
    handed out: marked handled from their ids, in a few statements, and nothing is
    delivered. (Events nobody listens for when they are written are written handled.)"""
    paused = subscribe(world["auditor"])
    for _ in range(30):
        record_event_for(world["a"])
    paused.active = False
    paused.save()
    with django_assert_max_num_queries(5) as captured:
        assert dispatching.dispatch_pending() == 30
    assert not any('"payload"' in query["sql"] for query in captured.captured_queries)
    assert not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()
    assert WebhookDelivery.objects.count() == 0


def test_a_commit_with_events_hands_them_out_and_delivers(
    world, endpoint, django_capture_on_commit_callbacks
):
    """Tasks run in-process: the commit announces, the dispatcher and the delivery run."""
    subscription = subscribe(world["auditor"])
    with django_capture_on_commit_callbacks(execute=True):
        event = record_event_for(world["a"])
        record_event_for(world["b"])  # one announcement for both
    delivery = WebhookDelivery.objects.get(subscription=subscription, event=event)
    assert delivery.status == "succeeded" and delivery.attempts == 1
    assert len(endpoint.requests) == 2


def test_commits_within_a_second_share_one_dispatch_task(monkeypatch):
    """With a broker, a burst of commits queues one dispatch that runs after the window."""
    from unittest import mock

    from django.core.cache import cache

    from integrations import receivers
    from integrations.tasks import dispatch_events
    from qinqing.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", False)
    cache.delete(receivers.DEBOUNCE_KEY)
    with mock.patch.object(dispatch_events, "apply_async") as queued:
        for _ in range(5):
            receivers.dispatch_soon()
        assert queued.call_args_list == [mock.call(countdown=receivers.DEBOUNCE_SECONDS)]
        cache.delete(receivers.DEBOUNCE_KEY)  # the window closed
        receivers.dispatch_soon()
        assert queued.call_count == 2


def test_a_partner_client_receives_only_what_its_scopes_let_it_read(world):
    """Webhooks do not widen a partner's reach: a credit event needs credit:read, as the
    credit API does, and withdrawing the scope stops the deliveries."""
    from integrations.models import WebhookDelivery
    from tests.partners_support import make_partner

    reader, _secret = make_partner(scopes=["webhooks:manage", "credit:read"], department="market")
    blind, _secret = make_partner(scopes=["webhooks:manage"], department="market")
    for partner in (reader, blind):
        subscribe(partner.service_user, types=("credit.record_added",))
    record_event_for(world["a"])
    dispatching.dispatch_pending()
    assert WebhookDelivery.objects.filter(subscription__owner=reader.service_user).count() == 1
    assert not WebhookDelivery.objects.filter(subscription__owner=blind.service_user).exists()

    reader.scopes = ["webhooks:manage"]
    reader.save(update_fields=["scopes"])
    record_event_for(world["a"])
    dispatching.dispatch_pending()
    assert WebhookDelivery.objects.filter(subscription__owner=reader.service_user).count() == 1


def test_events_nobody_wants_are_handled_in_one_statement_beside_the_wanted(
    world, django_assert_max_num_queries
):
    """A batch chunk's events that no subscription wants any more (its listener paused
    after they were written), more than one dispatch batch of them: marked handled by one
    UPDATE, in the same run that delivers the wanted ones."""
    from qinqing.events.services import Event, emit_many

    subscription = subscribe(world["auditor"], types=["credit.record_added"])
    paused = subscribe(world["market_city"], types=["claim.paid"])
    wanted = record_event_for(world["a"])
    emit_many(Event("claim.paid", {"claim": n}, subject=f"claim:{n}")
              for n in range(dispatching.DISPATCH_BATCH + 100))  # fmt: skip
    paused.active = False
    paused.save()
    with django_assert_max_num_queries(12):
        assert dispatching.dispatch_pending() == dispatching.DISPATCH_BATCH + 101
    assert not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()
    assert received(subscription) == {wanted.pk}
