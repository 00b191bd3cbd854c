"""The treasury's HTTP transport against the simulated treasury's real HTTP interface
(/mock/treasury/…, served by a live server): same books as in-process, the lost answer as
an unknown outcome, and a claim paid over the wire exactly once."""

from decimal import Decimal

import pytest
from django.test import Client, override_settings

from sandbox.treasury.models import TreasuryRecord
from subsidies.claims import submit_claim
from subsidies.gateway import (
    GatewayError,
    OutcomeUnknown,
    PaymentOrder,
    close_treasury,
    gateway,
)
from subsidies.models import ClaimStatus, Disbursement
from subsidies.reconciliation import reconcile
from tests.factories import EnterpriseFactory

from .test_claims import member_of, officials_pair, policy  # noqa: F401 - fixtures

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


@pytest.fixture
def treasury(live_server, settings):
    settings.TREASURY_TRANSPORT = "http"
    settings.TREASURY_HTTP_BASE_URL = live_server.url
    settings.TREASURY_SIMULATION = {"latency_ms": 0, "error_rate": 0.0, "lost_answer_rate": 0.0}
    yield gateway()
    close_treasury()


def test_paying_twice_with_one_key_pays_once(treasury):
    assert treasury.transport == "http"
    first = treasury.pay(key="k-1", amount=Decimal("120.50"), account="6222000011112222")
    second = treasury.pay(key="k-1", amount=Decimal("120.50"), account="6222000011112222")
    assert first.status == second.status == "confirmed"
    assert first.reference == second.reference
    assert TreasuryRecord.objects.get().amount == Decimal("120.50")
    assert treasury.status(key="k-1").reference == first.reference
    assert treasury.status(key="never-sent").status == "not_found"


def test_a_key_reused_for_another_amount_is_refused(treasury):
    treasury.pay(key="k-2", amount=Decimal("10.00"), account="6222000011112222")
    with pytest.raises(GatewayError):
        treasury.pay(key="k-2", amount=Decimal("99.00"), account="6222000011112222")
    assert TreasuryRecord.objects.get().amount == Decimal("10.00")


def test_a_payment_file_pays_each_order_once(treasury):
    treasury.pay(key="f-0", amount=Decimal("1.00"), account="6222000011112222")
    orders = [PaymentOrder(f"f-{n}", Decimal("1.00"), "6222000011112222") for n in range(50)]
    results = treasury.pay_many(orders)
    assert [r.status for r in results] == ["confirmed"] * 50
    assert TreasuryRecord.objects.count() == 50


def test_a_lost_answer_is_an_unknown_outcome_and_the_payment_is_on_the_books(treasury, settings):
    settings.TREASURY_SIMULATION = {"latency_ms": 0, "lost_answer_rate": 1.0}
    with pytest.raises(OutcomeUnknown):
        treasury.pay(key="k-3", amount=Decimal("5.00"), account="6222000011112222")
    assert treasury.status(key="k-3").status == "confirmed"


def test_an_unavailable_treasury_pays_nothing(treasury, settings):
    settings.TREASURY_SIMULATION = {"latency_ms": 0, "error_rate": 1.0}
    with pytest.raises(GatewayError):
        treasury.pay(key="k-4", amount=Decimal("5.00"), account="6222000011112222")
    assert not TreasuryRecord.objects.exists()


def test_an_unreachable_treasury_is_a_plain_failure(settings):
    settings.TREASURY_TRANSPORT = "http"
    settings.TREASURY_HTTP_BASE_URL = "http://127.0.0.1:9"  # nothing listens there
    try:
        with pytest.raises(GatewayError):
            gateway().pay(key="k-5", amount=Decimal("5.00"), account="6222000011112222")
    finally:
        close_treasury()


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({}, {"key": "a", "amount": "1.00", "account": "1"}, 403),
        ({"HTTP_X_TREASURY_KEY": "wrong"}, {"key": "a", "amount": "1.00", "account": "1"}, 403),
        ("ok", {"key": "a", "amount": "1.001", "account": "1"}, 400),
        ("ok", {"key": "a", "amount": "-1", "account": "1"}, 400),
        ("ok", {"key": "", "amount": "1.00", "account": "1"}, 400),
        ("ok", ["not", "an", "object"], 400),
    ],
)
def test_the_interface_refuses_strangers_and_bad_orders(settings, headers, body, status):
    if headers == "ok":
        headers = {"HTTP_X_TREASURY_KEY": settings.TREASURY_MOCK_KEY}
    response = Client().post("/mock/treasury/payments/", body, content_type="application/json",
                             **headers)  # fmt: skip
    assert response.status_code == status
    assert not TreasuryRecord.objects.exists()


@override_settings(CELERY_TASK_ALWAYS_EAGER=True)
def test_a_claim_is_paid_over_http_once_even_when_the_answer_is_lost(treasury, settings, policy):  # noqa: F811
    settings.TREASURY_SIMULATION = {"latency_ms": 0, "lost_answer_rate": 1.0}
    enterprise = EnterpriseFactory()
    claim, _ = submit_claim(enterprise=enterprise, policy=policy, actor=member_of(enterprise))
    claim.refresh_from_db()
    # The answer was lost, so the portal asked about the same key and found it paid.
    assert claim.status == ClaimStatus.PAID
    disbursement = Disbursement.objects.get(claim=claim)
    assert TreasuryRecord.objects.get().key == disbursement.idempotency_key
    assert reconcile_problems() == []


def reconcile_problems() -> list:
    result = reconcile()
    return list(getattr(result, "problems", result))
