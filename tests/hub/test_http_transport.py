"""The HTTP transport against the simulated departments' real HTTP interfaces
(/mock/departments/…, served by a live server): same answers as in-process, real timeouts,
retries, and every failure an unknown fact with its reason."""

import time

import httpx
import pytest
from django.test import override_settings

from datahub import adapters
from datahub.adapters import close_adapters
from datahub.fetching import pipeline
from datahub.fetching.pipeline import fetch_facts
from datahub.models import CallOutcome, DataCall
from tests.factories import EnterpriseFactory

from .test_fetch import AS_OF, FIVE_DEPARTMENTS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


@pytest.fixture
def http(live_server, settings):
    settings.HUB_HTTP_BASE_URL = live_server.url
    yield live_server
    # Kept-alive connections keep the server's request threads, and their database
    # connections, alive; close them so the test database can be dropped.
    close_adapters()


def test_http_and_in_process_give_the_same_facts(http):
    enterprise = EnterpriseFactory()
    over_http = fetch_facts(enterprise, FIVE_DEPARTMENTS, purpose="test", as_of=AS_OF,
                            transport="http", use_cache=False)  # fmt: skip
    in_process = fetch_facts(enterprise, FIVE_DEPARTMENTS, purpose="test", as_of=AS_OF,
                             transport="inprocess", use_cache=False)  # fmt: skip
    assert over_http.all_known
    assert over_http.values() == in_process.values()
    assert set(DataCall.objects.values_list("transport", flat=True)) == {"http", "inprocess"}


class SteppedClock:
    """The hub's clock, moved only by what happened on it: a request that waited out its
    timeout moves it by that timeout, a back-off pause by the pause. The deadlines are then
    read on this clock, not on the wall clock of a loaded machine."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    perf_counter = monotonic

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)

    def __getattr__(self, name: str):
        return getattr(time, name)


@pytest.fixture
def hub_clock(monkeypatch):
    """The clock the HTTP adapter (deadline, back-off) and the fetch (latency) read, and
    the timeouts the adapter gives httpx."""
    clock = SteppedClock()
    monkeypatch.setattr(adapters, "time", clock)
    monkeypatch.setattr(pipeline, "time", clock)
    timeouts: list[float] = []
    real_get = httpx.Client.get

    def get(client, url, **kwargs):
        timeouts.append(kwargs["timeout"])
        try:
            return real_get(client, url, **kwargs)
        except httpx.TimeoutException:
            clock.sleep(kwargs["timeout"])  # the socket waited its whole timeout
            raise

    monkeypatch.setattr(httpx.Client, "get", get)
    clock.timeouts = timeouts
    return clock


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [
        ({"latency_ms": 3000}, CallOutcome.TIMEOUT),
        ({"timeout_rate": 1.0}, CallOutcome.TIMEOUT),
        ({"error_rate": 1.0}, CallOutcome.UNAVAILABLE),
        ({"malformed_rate": 1.0}, CallOutcome.MALFORMED),
    ],
)
@override_settings(HUB_TIMEOUT_SECONDS=0.3, HUB_HTTP_RETRIES=1)
def test_failures_over_http_are_unknown_facts(http, simulate, hub_clock, behaviour, reason):
    enterprise = EnterpriseFactory()
    simulate("housing", **behaviour)
    result = fetch_facts(enterprise, ["housing.lease_registered", "tax.arrears"],
                         purpose="test", as_of=AS_OF, transport="http")  # fmt: skip
    assert result["housing.lease_registered"].reason == reason
    assert result["tax.arrears"].known
    call = DataCall.objects.get(department__code="housing")
    assert call.outcome == reason
    # The deadline held, on the hub's own clock: no request was given more than the 0.3 s
    # budget, and the call (retries and back-off included) ended within it.
    assert hub_clock.timeouts and max(hub_clock.timeouts) <= 0.3
    assert call.latency_ms <= 300


def test_a_404_from_the_department_is_not_found(http, settings):
    settings.HUB_MOCK_DEPARTMENTS_ENABLED = False  # every interface now answers 404
    enterprise = EnterpriseFactory()
    result = fetch_facts(enterprise, ["market.registration_status"], purpose="test",
                         as_of=AS_OF, transport="http")  # fmt: skip
    assert result["market.registration_status"].reason == CallOutcome.NOT_FOUND


@override_settings(HUB_TIMEOUT_SECONDS=0.5, HUB_HTTP_RETRIES=2)
def test_a_refused_connection_is_retried_then_unavailable(reference_data, settings):
    settings.HUB_HTTP_BASE_URL = "http://127.0.0.1:9"  # nothing listens on the discard port
    enterprise = EnterpriseFactory()
    result = fetch_facts(enterprise, ["tax.arrears"], purpose="test", as_of=AS_OF,
                         transport="http")  # fmt: skip
    assert result["tax.arrears"].reason == CallOutcome.UNAVAILABLE
    assert "cannot connect" in DataCall.objects.get().detail


def test_the_mock_interface_answers_only_the_hub(http, client, settings):
    enterprise = EnterpriseFactory()
    query = {"uscc": enterprise.uscc, "fields": "yysr", "as_of": "2026-11-01"}
    url = "/mock/departments/taxation/tax.annual_summary/"
    assert client.get(url, query).status_code == 403
    assert client.get(url, query, HTTP_X_HUB_KEY="guess").status_code == 403
    assert client.get(url, query, HTTP_X_HUB_KEY=settings.HUB_MOCK_KEY).status_code == 200


def test_the_mock_interface_refuses_unknown_enterprises_and_fields(http, client, settings):
    client.defaults["HTTP_X_HUB_KEY"] = settings.HUB_MOCK_KEY
    enterprise = EnterpriseFactory()
    base = "/mock/departments/taxation/tax.annual_summary/"
    assert (
        client.get(
            base, {"uscc": "91330100716105852F", "fields": "yysr", "as_of": "2026-11-01"}
        ).status_code
        == 404
    )
    assert (
        client.get(
            base, {"uscc": enterprise.uscc, "fields": "nope", "as_of": "2026-11-01"}
        ).status_code
        == 404
    )
    assert (
        client.get(
            base, {"uscc": enterprise.uscc, "fields": "yysr", "as_of": "someday"}
        ).status_code
        == 400
    )
    ok = client.get(base, {"uscc": enterprise.uscc, "fields": "yysr,qsje", "as_of": "2026-11-01"})
    assert ok.status_code == 200 and set(ok.json()["data"]) == {"yysr", "qsje"}


def test_the_mock_interface_refuses_odd_deadlines_and_foreign_interfaces(http, client, settings):
    client.defaults["HTTP_X_HUB_KEY"] = settings.HUB_MOCK_KEY
    enterprise = EnterpriseFactory()
    query = {"uscc": enterprise.uscc, "fields": "yysr", "as_of": "2026-11-01"}
    url = "/mock/departments/taxation/tax.annual_summary/"
    assert client.get(url, query, HTTP_X_DEADLINE_SECONDS="-1").status_code == 400
    assert client.get(url, query, HTTP_X_DEADLINE_SECONDS="nan").status_code == 400
    foreign = "/mock/departments/market/tax.annual_summary/"
    assert client.get(foreign, query).status_code == 404
