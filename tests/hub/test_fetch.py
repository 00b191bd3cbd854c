"""fetch_facts: deterministic answers, unknown-with-a-reason on every kind of failure, the
circuit breaker, the cache's freshness, the mandatory purpose, and a log entry per call."""

from datetime import date, timedelta

import numpy as np
import pytest
from django.test import override_settings
from django.utils import timezone

from datahub import circuit, providers
from datahub.catalogue import UnknownFactError
from datahub.fetching.pipeline import fetch_facts
from datahub.models import CallOutcome, DataCall
from datahub.purposes import PurposeRequired
from qinqing.registry import Registry
from sandbox.departments.simulation import RegisterColumns, simulate
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db

FIVE_DEPARTMENTS = [
    "tax.annual_revenue", "tax.arrears", "hrss.insured_employees", "housing.lease_registered",
    "market.registration_status", "market.established_on", "planning.land_parcels",
]  # fmt: skip
AS_OF = date(2026, 11, 27)


def fetch(enterprise, names=FIVE_DEPARTMENTS, **options):
    options.setdefault("purpose", "test: eligibility check")
    options.setdefault("as_of", AS_OF)
    return fetch_facts(enterprise, names, **options)


def test_the_same_enterprise_always_gets_the_same_answer(enterprise):
    first = fetch(enterprise, use_cache=False).values()
    second = fetch(enterprise, use_cache=False).values()
    assert first == second
    assert all(value is not None for value in first.values())


def test_different_enterprises_get_different_answers():
    answers = {tuple(fetch(EnterpriseFactory(), use_cache=False).values().items())
               for _ in range(5)}  # fmt: skip
    assert len(answers) == 5


def test_market_facts_agree_with_the_register(enterprise):
    facts = fetch(enterprise, ["market.established_on", "market.registered_capital",
                               "market.industry_code"]).values()  # fmt: skip
    assert facts["market.established_on"] == enterprise.established_on
    assert facts["market.registered_capital"] == enterprise.registered_capital
    assert facts["market.industry_code"] == enterprise.industry_division


def test_the_spread_is_realistic_so_every_typical_criterion_has_failures():
    """Over 20,000 simulated enterprises, a few percent fail each common condition."""
    n = 20_000
    rng = np.random.default_rng(1)
    columns = RegisterColumns(
        uscc=[f"TEST{i:014d}" for i in range(n)],
        size=rng.integers(0, 4, n).astype(np.int8),
        capital_fen=np.full(n, 100_000_000, dtype=np.int64),
        established_days=np.full(n, 15_000, dtype=np.int64),
        division=np.full(n, 39, dtype=np.int16),
        section=np.full(n, "C", dtype="<U1"),
    )
    values = simulate(
        columns,
        [
            "tax.arrears",
            "market.abnormal_operations",
            "market.registration_status",
            "hrss.insured_employees",
            "tax.credit_grade",
            "housing.lease_registered",
        ],
        AS_OF,
    )
    shares = {
        "owes tax": (values["tax.arrears"] > 0).mean(),
        "abnormal operations": values["market.abnormal_operations"].mean(),
        "not active": (values["market.registration_status"] != "active").mean(),
        "nobody insured": (values["hrss.insured_employees"] == 0).mean(),
        "tax grade C or D": np.isin(values["tax.credit_grade"], ["C", "D"]).mean(),
        "no registered lease": (~values["housing.lease_registered"]).mean(),
    }
    for label, share in shares.items():
        assert 0.01 < share < 0.5, (label, share)


def test_a_purpose_is_required(enterprise):
    for purpose in ("", "   "):
        with pytest.raises(PurposeRequired):
            fetch(enterprise, purpose=purpose)
    assert not DataCall.objects.exists()


def test_unknown_fact_names_are_an_error_and_nothing_is_fetched(enterprise):
    with pytest.raises(UnknownFactError):
        fetch(enterprise, ["tax.annual_revenue", "tax.favourite_colour"])
    assert not DataCall.objects.exists()


def test_every_call_is_logged_with_purpose_requester_and_a_hash(enterprise, official_xihu):
    result = fetch(enterprise, requested_by=official_xihu, purpose="approval:7 prefill")
    calls = DataCall.objects.filter(enterprise=enterprise)
    assert calls.count() == 5  # one per department
    assert {call.department.code for call in calls} == {
        "taxation",
        "hrss",
        "housing",
        "market",
        "planning",
    }
    for call in calls:
        assert call.purpose == "approval:7 prefill"
        assert call.requested_by == official_xihu
        assert call.outcome == CallOutcome.OK
        assert len(call.response_hash) == 64
        assert set(call.fact_names) <= set(FIVE_DEPARTMENTS)
    assert len(result.calls) == 5


def test_only_the_facts_asked_for_are_requested(enterprise):
    fetch(enterprise, ["tax.arrears"])
    call = DataCall.objects.get()
    assert call.fact_names == ["tax.arrears"]


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [
        ({"timeout_rate": 1.0}, CallOutcome.TIMEOUT),
        ({"latency_ms": 5000}, CallOutcome.TIMEOUT),
        ({"error_rate": 1.0}, CallOutcome.UNAVAILABLE),
        ({"down": True}, CallOutcome.UNAVAILABLE),
        ({"malformed_rate": 1.0}, CallOutcome.MALFORMED),
    ],
)
@override_settings(HUB_TIMEOUT_SECONDS=0.2)
def test_a_failing_department_gives_unknown_facts_with_the_reason(
    enterprise, simulate, behaviour, reason
):
    simulate("taxation", **behaviour)
    result = fetch(enterprise)
    for name in ("tax.annual_revenue", "tax.arrears"):
        assert result[name].known is False
        assert result[name].value is None
        assert result[name].reason == reason
    # The other departments answered regardless.
    assert result["hrss.insured_employees"].known
    assert result["market.registration_status"].known
    assert DataCall.objects.get(department__code="taxation").outcome == reason


def test_credit_facts_are_unknown_until_a_provider_exists(enterprise, monkeypatch):
    # The credit app registers the provider of credit.* (tests/credit/test_hub_facts.py);
    # the hub alone has none.
    monkeypatch.setattr(providers, "LOCAL_PROVIDERS", Registry("local provider"))
    result = fetch(enterprise, ["credit.black_list"])
    assert result["credit.black_list"].known is False
    assert result["credit.black_list"].reason == CallOutcome.NO_PROVIDER


@override_settings(HUB_BREAKER_THRESHOLD=2, HUB_BREAKER_COOLDOWN_SECONDS=30)
def test_the_circuit_breaker_opens_and_recovers(enterprise, simulate, monkeypatch):
    clock = {"now": 1_000_000.0}
    monkeypatch.setattr(circuit, "_now", lambda: clock["now"])
    simulate("taxation", error_rate=1.0)
    for _ in range(2):
        assert fetch(enterprise, ["tax.arrears"])["tax.arrears"].reason == "unavailable"
    assert circuit.state("taxation") == "open"

    # Open: the department is not even asked; the answer is immediate.
    third = fetch(enterprise, ["tax.arrears"])
    assert third["tax.arrears"].reason == CallOutcome.CIRCUIT_OPEN
    assert DataCall.objects.filter(outcome=CallOutcome.CIRCUIT_OPEN).count() == 1

    # After the cooldown one trial goes through; the department has recovered.
    simulate("taxation", error_rate=0.0)
    clock["now"] += 31
    assert circuit.state("taxation") == "half-open"
    assert fetch(enterprise, ["tax.arrears"])["tax.arrears"].known
    assert circuit.state("taxation") == "closed"


@override_settings(HUB_BREAKER_THRESHOLD=1, HUB_BREAKER_COOLDOWN_SECONDS=30)
def test_a_failed_trial_opens_the_breaker_again(enterprise, simulate, monkeypatch):
    clock = {"now": 1_000_000.0}
    monkeypatch.setattr(circuit, "_now", lambda: clock["now"])
    simulate("taxation", down=True)
    fetch(enterprise, ["tax.arrears"])
    clock["now"] += 31
    assert fetch(enterprise, ["tax.arrears"])["tax.arrears"].reason == "unavailable"  # trial
    assert circuit.state("taxation") == "open"


def test_facts_come_from_the_cache_while_fresh(enterprise, monkeypatch):
    first = fetch(enterprise, ["tax.arrears", "tax.annual_revenue"])
    second = fetch(enterprise, ["tax.arrears", "tax.annual_revenue"])
    assert second.values() == first.values()
    assert all(fact.from_cache for fact in second.facts.values())
    assert DataCall.objects.filter(outcome=CallOutcome.CACHED).count() == 1

    # Arrears must be a day fresh, revenue thirty days: two days later only arrears is
    # fetched again.
    later = timezone.now() + timedelta(days=2)
    monkeypatch.setattr("datahub.fetching.pipeline.timezone.now", lambda: later)
    third = fetch(enterprise, ["tax.arrears", "tax.annual_revenue"])
    assert third["tax.annual_revenue"].from_cache
    assert not third["tax.arrears"].from_cache
    assert DataCall.objects.filter(outcome=CallOutcome.OK).order_by("-id")[0].fact_names == [
        "tax.arrears"
    ]


def test_unknown_facts_are_never_cached(enterprise, simulate):
    simulate("taxation", down=True)
    fetch(enterprise, ["tax.arrears"])
    simulate("taxation", down=False)
    assert fetch(enterprise, ["tax.arrears"])["tax.arrears"].known


def test_an_administrator_switches_a_department_down_in_the_back_office(client, enterprise):
    from django.urls import reverse

    from sandbox.departments.models import SimulationSetting
    from tests.factories import AdminFactory

    assert fetch(enterprise, ["tax.arrears"])["tax.arrears"].known  # behaviour now cached
    setting = SimulationSetting.objects.get(department__code="taxation")
    client.force_login(AdminFactory())
    url = reverse("admin:sandbox_departments_simulationsetting_change", args=[setting.pk])
    response = client.post(url, {"department": setting.department_id, "latency_ms": 0,
                                 "jitter_ms": 0, "timeout_rate": 0, "error_rate": 0,
                                 "malformed_rate": 0, "down": "on"})  # fmt: skip
    assert response.status_code == 302
    result = fetch(enterprise, ["tax.arrears"], use_cache=False)
    assert result["tax.arrears"].reason == CallOutcome.UNAVAILABLE
