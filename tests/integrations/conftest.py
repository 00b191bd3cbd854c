"""Webhook fixtures: partners' accounts of every kind, and a fake partner endpoint."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
import pytest

from integrations import dispatching, subscribing
from qinqing.events.services import emit
from tests.factories import (
    AuditorFactory,
    EnterpriseFactory,
    OfficialFactory,
    department,
    district,
    member_of,
)

URL = "https://partner.example.com/hooks"


@dataclass
class FakeEndpoint:
    """Stands in for delivering.post_with_deadline: answers the codes it is given in turn (an
    exception instance is raised), then 200; keeps every request."""

    answers: list = field(default_factory=list)
    requests: list = field(default_factory=list)

    def __call__(self, url, *, content, headers, timeout, follow_redirects, extensions=None):
        self.requests.append({"url": url, "body": content, "headers": headers,
                              "timeout": timeout, "extensions": extensions})  # fmt: skip
        answer = self.answers.pop(0) if self.answers else 200
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(answer, request=httpx.Request("POST", url))


# The names the tests use, as a resolver would answer them (there is no DNS here).
PARTNER_ADDRESS = "93.184.216.34"
KNOWN_HOSTS = {"partner.example.com": [PARTNER_ADDRESS], "x.example": [PARTNER_ADDRESS]}


@pytest.fixture(autouse=True)
def resolver(monkeypatch) -> dict[str, list[str]]:
    """The webhook resolver (integrations.destinations.resolve_host) answers the test
    names; others (localhost) go to the system. A test may change the answers."""
    from integrations import destinations

    answers = {name: list(addresses) for name, addresses in KNOWN_HOSTS.items()}
    real = destinations.resolve_host

    def resolve_host(host: str, port: int) -> list[str]:
        if host in answers:
            return list(answers[host])
        return real(host, port)

    monkeypatch.setattr(destinations, "resolve_host", resolve_host)
    return answers


@pytest.fixture
def endpoint(monkeypatch) -> FakeEndpoint:
    fake = FakeEndpoint()
    monkeypatch.setattr("integrations.delivering.post_with_deadline", fake)
    return fake


@pytest.fixture
def world(db):
    """Two enterprises in two districts, officials of two departments, an auditor."""
    xihu, binjiang = district("xihu"), district("binjiang")
    a = EnterpriseFactory(district=xihu)
    b = EnterpriseFactory(district=binjiang)
    return {
        "a": a,
        "b": b,
        "member_a": member_of(a),
        "member_b": member_of(b),
        "market_city": OfficialFactory(department=department("market"), district=None),
        "market_binjiang": OfficialFactory(department=department("market"), district=binjiang),
        "hrss_city": OfficialFactory(department=department("hrss"), district=None),
        "auditor": AuditorFactory(),
    }


def subscribe(owner, types=("credit.record_added", "claim.paid"), url=URL, **kwargs):
    return subscribing.create_subscription(
        owner=owner, name=f"{owner.username} hook", url=url, event_types=list(types),
        actor=owner, **kwargs,
    )  # fmt: skip


def record_event_for(enterprise, department_code="market", **payload):
    return emit("credit.record_added", {"title": "test", **payload},
                subject=f"credit-record:{enterprise.pk}", enterprise_id=enterprise.pk,
                department_id=department(department_code).pk,
                district_id=enterprise.district_id)  # fmt: skip


@pytest.fixture
def quiet_outbox(monkeypatch):
    """Nothing is handed out or delivered on commit: tests on committed data drive the
    dispatcher and the deliveries themselves, step by step."""
    from integrations.receivers import dispatch_soon
    from qinqing.events.signals import events_emitted

    monkeypatch.setattr(dispatching, "enqueue_deliveries", lambda delivery_ids: None)
    uid = "integrations.dispatch_soon"
    events_emitted.disconnect(dispatch_uid=uid)
    yield
    events_emitted.connect(dispatch_soon, dispatch_uid=uid)
