"""Signed deliveries: what the partner receives and how it checks it; retries with back-off
until given up, every attempt on record; redelivery by hand; a real HTTP round trip."""

import asyncio
import json
import time
from datetime import timedelta

import httpx
import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from integrations import delivering, dispatching, signing, subscribing
from integrations.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from qinqing.audit.models import AuditEvent
from qinqing.errors import NotAllowed
from sandbox.partners import views as demo_receiver

from .conftest import record_event_for, subscribe

pytestmark = pytest.mark.django_db


def one_delivery(world, **kwargs) -> WebhookDelivery:
    subscription = subscribe(world["auditor"], **kwargs)
    record_event_for(world["a"], title="违法广告")
    dispatching.dispatch_pending()
    return WebhookDelivery.objects.get(subscription=subscription)


def make_due(delivery: WebhookDelivery) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_the_partner_gets_the_event_signed_with_its_secret(world, endpoint):
    delivery = one_delivery(world)
    delivering.deliver(delivery.pk)
    sent = endpoint.requests[0]
    headers, body = sent["headers"], sent["body"]
    event = json.loads(body)
    assert event["id"] == delivery.event_id and event["type"] == "credit.record_added"
    assert event["data"]["title"] == "违法广告" and "occurred_at" in event
    assert headers["X-Qinqing-Event"] == "credit.record_added"
    assert headers["X-Qinqing-Delivery"] == str(delivery.pk)
    assert sent["timeout"] == 5.0
    secret = signing.signing_secret(delivery.subscription)
    timestamp, signature = headers["X-Qinqing-Timestamp"], headers["X-Qinqing-Signature"]
    assert signing.verify_signature(secret, timestamp, body, signature)
    assert not signing.verify_signature(signing.new_secret(), timestamp, body, signature)
    assert not signing.verify_signature(secret, timestamp, body + b" ", signature)
    # The timestamp is signed: an old request replayed, or re-stamped, does not pass.
    assert not signing.verify_signature(secret, timestamp, body, signature,
                                        now=int(timestamp) + 3600)  # fmt: skip
    assert not signing.verify_signature(secret, str(int(timestamp) + 1), body, signature)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.last_status_code == 200


def test_the_signature_is_the_documented_hmac(world):
    """The recipe in docs/api.md, computed independently."""
    import hashlib
    import hmac

    body = b'{"id":1}'
    expected = hmac.new(b"whsec_x", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signing.signature("whsec_x", 1700000000, body) == f"v1={expected}"


def test_failures_are_retried_with_growing_delays_then_given_up(world, endpoint, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 4
    endpoint.answers = [500, httpx.ConnectError("refused"), 404, 503]
    delivery = one_delivery(world)
    delays = []
    for attempt in range(1, 5):
        before = timezone.now()
        delivering.deliver(delivery.pk)
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
        if attempt < 4:
            assert delivery.status == DeliveryStatus.FAILED
            delays.append((delivery.next_attempt_at - before).total_seconds())
            # Not due yet: another run does nothing.
            assert delivering.deliver(delivery.pk) is None
            make_due(delivery)
    assert delivery.status == DeliveryStatus.GIVEN_UP and delivery.next_attempt_at is None
    base = delivering.RETRY_BASE_SECONDS
    for number, delay in enumerate(delays, start=1):  # 1, 2, 4 minutes, ±20 % jitter
        assert 0.8 * base * 2 ** (number - 1) - 1 <= delay <= 1.2 * base * 2 ** (number - 1) + 1
    attempts = list(WebhookAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert [(a.number, a.status_code, a.succeeded) for a in attempts] == [
        (1, 500, False), (2, None, False), (3, 404, False), (4, 503, False)
    ]  # fmt: skip
    assert "ConnectError" in attempts[1].error
    assert delivering.deliver(delivery.pk) is None  # given up: only by hand now
    assert len(endpoint.requests) == 4


def test_the_retry_sweep_takes_due_deliveries_only(world, endpoint):
    endpoint.answers = [500]
    delivery = one_delivery(world)
    delivering.deliver(delivery.pk)
    assert delivery.pk not in dispatching.due_deliveries()
    make_due(delivery)
    assert dispatching.due_deliveries() == [delivery.pk]
    from integrations.tasks import deliver_due_webhooks

    assert deliver_due_webhooks() == 1  # in-process: delivered at once
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 2


def test_a_paused_subscription_is_not_delivered_until_resumed(world, endpoint):
    delivery = one_delivery(world)
    subscribing.update_subscription(delivery.subscription_id, actor=world["auditor"], active=False)
    assert delivering.deliver(delivery.pk) is None and dispatching.due_deliveries() == []
    subscribing.update_subscription(delivery.subscription_id, actor=world["auditor"], active=True)
    delivering.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED


def test_redelivery_by_hand_after_giving_up(world, endpoint, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    endpoint.answers = [500]
    delivery = one_delivery(world)
    delivering.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.GIVEN_UP
    with pytest.raises(NotAllowed):
        dispatching.redeliver(delivery.pk, actor=world["member_b"])  # not the owner
    dispatching.redeliver(delivery.pk, actor=world["auditor"])
    delivering.deliver(delivery.pk)  # what the task queued on commit does
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    attempts = list(delivery.attempt_rows.order_by("id").values_list("manual", "succeeded"))
    assert attempts == [(False, False), (True, True)]
    assert AuditEvent.objects.filter(action="webhooks.delivery.redelivered",
                                     object_id=str(delivery.pk)).exists()  # fmt: skip


def test_a_worker_that_died_mid_request_leaves_it_to_the_sweep(world, endpoint):
    delivery = one_delivery(world)
    claimed, _manual = delivering._claim(delivery.pk)  # the attempt counted, then the crash
    assert claimed.attempts == 1
    assert dispatching.due_deliveries() == []  # leased for the timeout and a minute
    make_due(delivery)
    delivering.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 2


def test_the_secret_never_enters_the_audit_trail(world):
    subscription = subscribe(world["auditor"])
    secret = subscription.revealed_secret
    trail = json.dumps(list(AuditEvent.objects.values("before", "after")))
    assert secret not in trail and secret[-8:] not in trail


@pytest.mark.parametrize(
    "url",
    ["http://partner.example.com/hooks", "ftp://partner.example.com/x", "https://u:p@x.example/",
     "not a url"],
)  # fmt: skip
def test_plain_http_and_odd_urls_are_refused(world, url):
    with pytest.raises(subscribing.WebhookRefused):
        subscribe(world["auditor"], url=url)


def test_plain_http_is_fine_on_this_machine_or_in_debug(world):
    subscribe(world["auditor"], url="http://127.0.0.1:9000/hooks")
    with override_settings(DEBUG=True):
        subscribe(world["auditor"], url="http://partner.internal/hooks")


@pytest.mark.parametrize(
    "url",
    ["https://127.0.0.1/hooks", "https://10.0.0.5/admin", "https://169.254.169.254/latest",
     "https://[::1]/x", "https://192.168.1.20/x", "http://127.0.0.1:6379/x",
     "https://nowhere.invalid/x"],
)  # fmt: skip
def test_in_production_a_webhook_cannot_point_into_the_citys_network(world, settings, url):
    """Webhooks leave from inside the network: a loopback, private, link-local or
    unresolvable target would turn deliveries into a probe of it."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(subscribing.WebhookRefused):
        subscribe(world["auditor"], url=url)
    subscribe(world["auditor"], url="https://93.184.216.34/hooks")  # a public address


def test_a_name_that_now_resolves_inside_is_not_sent_to(world, endpoint, settings, resolver):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    delivery = one_delivery(world)  # checked when saved: partner.example.com was public
    resolver["partner.example.com"] = ["10.0.0.8"]
    delivering.deliver(delivery.pk)
    assert endpoint.requests == []
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert "not sent: 10.0.0.8 is private" in delivery.last_error


def test_a_subscriber_deactivated_after_dispatch_gets_nothing_more(world, endpoint):
    delivery = one_delivery(world)
    owner = delivery.subscription.owner
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    delivering.deliver(delivery.pk)
    assert endpoint.requests == []
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.GIVEN_UP


class FrozenClock:
    """The delivery service's clock (its `time` and `timezone`), moved only by the test:
    a retry becomes due when the clock reaches its time, not when the wall clock does."""

    def __init__(self) -> None:
        self.now = timezone.now().replace(microsecond=0)

    def advance_to(self, moment) -> None:
        self.now = moment

    def module(self, real, **own):
        """`real` (a module) with some of its functions reading this clock."""
        return type(
            "Clocked",
            (),
            {
                "__getattr__": lambda _self, name: getattr(real, name),
                **{name: staticmethod(f) for name, f in own.items()},
            },
        )()


@pytest.fixture
def service_clock(monkeypatch) -> FrozenClock:
    clock = FrozenClock()
    for module in (delivering, dispatching):
        monkeypatch.setattr(module, "timezone", clock.module(timezone, now=lambda: clock.now))
    for module in (delivering, signing):
        monkeypatch.setattr(module, "time", clock.module(time, time=lambda: clock.now.timestamp()))
    return clock


@pytest.mark.django_db(transaction=True)
def test_a_real_post_is_verified_and_a_failure_is_retried_until_it_succeeds(
    live_server, reference_data, quiet_outbox, service_clock
):
    """Over a socket to the demo receiver (/mock/partner/webhooks/), which checks the
    signature with the subscription's own secret and answers 500 to each delivery's first
    attempt. The retry is due at the back-off's time on the service's clock (which the
    receiver's signature check reads too), not a moment before."""
    from tests.factories import AuditorFactory, EnterpriseFactory

    cache.delete(demo_receiver.RECEIVED_KEY)
    auditor = AuditorFactory()
    url = f"{live_server.url}/mock/partner/webhooks/?fail=1"
    good = subscribe(auditor, url=url)  # a fresh secret of its own, as every subscription
    record_event_for(EnterpriseFactory(), title="真实请求")
    dispatching.dispatch_pending()
    delivery = WebhookDelivery.objects.get(subscription=good)
    first_try = service_clock.now
    delivering.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.FAILED, 500)
    # Retry 1 after RETRY_BASE_SECONDS, ±RETRY_JITTER.
    wait = (delivery.next_attempt_at - first_try).total_seconds()
    base, jitter = delivering.RETRY_BASE_SECONDS, delivering.RETRY_JITTER
    assert base * (1 - jitter) <= wait <= base * (1 + jitter)
    retry_at = delivery.next_attempt_at
    service_clock.advance_to(retry_at - timedelta(seconds=1))
    assert delivering.deliver(delivery.pk) is None  # not due yet
    service_clock.advance_to(retry_at)
    delivering.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 2)
    # A request signed with another secret, naming the same delivery: refused.
    body = signing.request_body(delivery.event)
    stamp = int(service_clock.now.timestamp())
    forged = httpx.post(url.replace("?fail=1", ""), content=body, headers={
        "X-Qinqing-Delivery": str(delivery.pk), "X-Qinqing-Timestamp": str(stamp),
        "X-Qinqing-Signature": signing.signature(signing.new_secret(), stamp, body),
    })  # fmt: skip
    assert forged.status_code == 400
    log = [(row["delivery"], row["answered"], row["valid"]) for row in demo_receiver.received()]
    assert log == [(str(delivery.pk), 400, False), (str(delivery.pk), 200, True),
                   (str(delivery.pk), 500, True)]  # fmt: skip
    assert all(row["event"] == delivery.event_id for row in demo_receiver.received())
    started = list(delivery.attempt_rows.order_by("number").values_list("started_at", flat=True))
    assert started == [first_try, retry_at]


def test_a_redelivery_by_hand_outranks_an_attempt_still_in_flight(world, endpoint, monkeypatch):
    """The partner is slow to answer attempt 1; meanwhile an operator redelivers, and that
    attempt succeeds. Attempt 1's late failure must not turn the delivery back to failed."""
    delivery = one_delivery(world)
    redelivered = []

    def slow_then_failing(url, **kwargs):
        if redelivered:  # the redelivery's own POST
            return endpoint(url, **kwargs)
        redelivered.append(None)  # while attempt 1 waits: the redelivery, answered 200
        dispatching.redeliver(delivery.pk, actor=world["auditor"])
        redelivered[0] = delivering.deliver(delivery.pk)
        return httpx.Response(500, request=httpx.Request("POST", url))

    monkeypatch.setattr(delivering, "post_with_deadline", slow_then_failing)
    delivering.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert redelivered[0].status == DeliveryStatus.SUCCEEDED
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.SUCCEEDED, 200)
    # Both attempts stay on record, the late one as the failure it was.
    rows = list(delivery.attempt_rows.order_by("id").values_list("manual", "succeeded"))
    assert sorted(rows) == [(False, False), (True, True)]


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock moves only when the loop would otherwise wait: a timer
    due in 0.3 s fires at once, and loop.time() then says 0.3 s have passed. Deadlines
    (asyncio.wait_for) and sleeps run on it, so a test reads them exactly, in no time."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0
        real, loop = self._selector, self

        class Selector:
            def select(self, timeout=None):
                if timeout is None:  # nothing scheduled: wait for the outside world
                    return real.select(None)
                ready = real.select(0)
                if not ready:
                    loop.now += timeout
                return ready

            def __getattr__(self, name):
                return getattr(real, name)

        self._selector = Selector()

    def time(self) -> float:
        return self.now


class VirtualTimePolicy(asyncio.DefaultEventLoopPolicy):
    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        return VirtualTimeLoop()


def test_a_receiver_dripping_its_answer_is_cut_off_at_the_deadline(world, monkeypatch, settings):
    """httpx's timeout bounds each read; a receiver sending a byte every 0.3 s would never
    trip it. The whole exchange has one deadline instead: on the event loop's (virtual)
    clock the answer is cut off at WEBHOOK_TIMEOUT_SECONDS, long before the drip ends."""
    settings.WEBHOOK_TIMEOUT_SECONDS = 1.0
    dripped: list[float] = []
    cut_off_at: list[float] = []

    async def drip():
        loop = asyncio.get_running_loop()
        try:
            for _ in range(100):  # 30 s of answer at this pace
                await asyncio.sleep(0.3)
                dripped.append(loop.time())
                yield b"a"
        except asyncio.CancelledError:
            cut_off_at.append(loop.time())
            raise

    async def receiver(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=drip())

    real_client = httpx.AsyncClient

    def client_with_receiver(**kwargs):
        return real_client(transport=httpx.MockTransport(receiver), **kwargs)

    monkeypatch.setattr(delivering.httpx, "AsyncClient", client_with_receiver)
    policy = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(VirtualTimePolicy())
    try:
        delivery = one_delivery(world)
        delivering.deliver(delivery.pk)
    finally:
        asyncio.set_event_loop_policy(policy)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert "TimeoutException" in delivery.last_error
    assert cut_off_at == [pytest.approx(1.0)]  # at the deadline, on the loop's clock
    assert len(dripped) == 3  # 0.3, 0.6 and 0.9 s: the drip was cut, not outwaited


def test_the_deadline_post_works_where_an_event_loop_is_running(monkeypatch):
    """A caller already inside an event loop (ASGI, a browser driver in the same thread):
    asyncio.run() cannot nest there, so the exchange runs in a thread of its own."""
    import asyncio

    seen = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(204)

    real_client = httpx.AsyncClient
    monkeypatch.setattr(
        delivering.httpx, "AsyncClient",
        lambda **kwargs: real_client(transport=httpx.MockTransport(handler), **kwargs),
    )  # fmt: skip

    async def inside_a_loop() -> int:
        answer = delivering.post_with_deadline(
            "https://partner.example.com/hook", content=b"{}", headers={}, timeout=2.0
        )
        return answer.status_code

    assert asyncio.run(inside_a_loop()) == 204 and seen == ["/hook"]
