"""The payment gateway (the city treasury): a simulated adapter behind one interface.

Payments are idempotent by key: paying twice with one key pays once. The simulation can
fail in the ways real gateways do, including the hard one: the payment went through but
the answer was lost. Callers then ask about the same key, never pay with a new one.

Two transports, as for the departments: in-process (the simulation answers in this
process) and HTTP (the same simulation served at /mock/treasury/, reached over real
sockets with real timeouts). A batch run pays through `pay_many`, one payment file of many
orders, as treasuries take bulk disbursements.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

import httpx
from django.conf import settings

from .models import TreasuryRecord


class GatewayError(Exception):
    """The gateway refused or could not be reached; nothing is known to be paid."""


class PaymentRefused(GatewayError):
    """The treasury will not make this payment (not: cannot now). Trying again is useless;
    the claim ends "payment failed" with the reason."""


class OutcomeUnknown(Exception):
    """The request may or may not have been carried out: ask with the same key."""


@dataclass(frozen=True)
class PaymentOrder:
    key: str
    amount: Decimal
    account: str


@dataclass(frozen=True)
class PaymentResult:
    key: str
    status: str  # confirmed / refused / not_found
    reference: str = ""


class Treasury(Protocol):
    transport: str

    def pay(self, *, key: str, amount: Decimal, account: str) -> PaymentResult: ...

    def pay_many(self, orders: list[PaymentOrder]) -> list[PaymentResult]: ...

    def status(self, *, key: str) -> PaymentResult: ...

    def status_many(self, keys: list[str]) -> dict[str, PaymentResult]: ...


def _behaviour() -> dict:
    return {"latency_ms": 30, "error_rate": 0.0, "lost_answer_rate": 0.0,
            **getattr(settings, "TREASURY_SIMULATION", {})}  # fmt: skip


class SimulatedTreasury:
    """The treasury's behaviour and books (TreasuryRecord), in this process."""

    transport = "inprocess"

    def pay(self, *, key: str, amount: Decimal, account: str) -> PaymentResult:
        return self.pay_many([PaymentOrder(key, amount, account)], single=True)[0]

    def pay_many(self, orders: list[PaymentOrder], *, single: bool = False) -> list[PaymentResult]:
        """One round trip for the whole file; each order is still paid at most once."""
        conduct = _behaviour()
        time.sleep(max(0.0, random.gauss(conduct["latency_ms"], 5)) / 1000)
        if random.random() < conduct["error_rate"]:
            raise GatewayError("the treasury is unavailable")
        TreasuryRecord.objects.bulk_create(
            [TreasuryRecord(key=order.key, amount=order.amount, account=order.account,
                            reference=f"HZT{uuid.uuid4().hex[:16].upper()}")
             for order in orders],
            ignore_conflicts=True, batch_size=5000,
        )  # fmt: skip
        keys = [order.key for order in orders]
        books = {record.key: record for record in TreasuryRecord.objects.filter(key__in=keys)}
        results = []
        for order in orders:
            record = books[order.key]
            if record.amount != order.amount:
                if single:
                    raise PaymentRefused("a payment with this key exists for another amount")
                results.append(PaymentResult(order.key, "refused"))
                continue
            results.append(PaymentResult(order.key, "confirmed", record.reference))
        if random.random() < conduct["lost_answer_rate"]:
            raise OutcomeUnknown("paid, but the answer was lost")
        return results

    def status(self, *, key: str) -> PaymentResult:
        return self.status_many([key])[key]

    def status_many(self, keys: list[str]) -> dict[str, PaymentResult]:
        books = {record.key: record for record in TreasuryRecord.objects.filter(key__in=keys)}
        return {
            key: PaymentResult(key, "confirmed", books[key].reference)
            if key in books
            else PaymentResult(key, "not_found")
            for key in keys
        }


class HttpTreasury:
    """The treasury over HTTP. A timeout after the request left is the hard case: the
    payment may have been made, so it is OutcomeUnknown, never a plain failure."""

    transport = "http"

    def __init__(self, base_url: str | None = None) -> None:
        self.base_url = (base_url or settings.TREASURY_HTTP_BASE_URL).rstrip("/")
        self.timeout = settings.TREASURY_TIMEOUT_SECONDS
        self.client = httpx.Client(
            headers={"X-Treasury-Key": settings.TREASURY_MOCK_KEY},
            limits=httpx.Limits(max_connections=20),
        )

    def _post(self, path: str, body: dict) -> dict:
        try:
            response = self.client.post(f"{self.base_url}{path}", json=body, timeout=self.timeout)
        except httpx.ConnectError as error:  # nothing left this machine: safe to say "not paid"
            raise GatewayError(f"cannot connect to the treasury: {type(error).__name__}") from error
        except httpx.TransportError as error:  # sent, and then no answer
            raise OutcomeUnknown(f"no answer from the treasury: {type(error).__name__}") from error
        return self._read(response)

    @staticmethod
    def _read(response: httpx.Response) -> dict:
        if response.status_code == 504:
            raise OutcomeUnknown("the treasury timed out answering")
        if response.status_code in (409, 422):
            raise PaymentRefused(response.json().get("error", "refused"))
        if response.status_code >= 400:
            raise GatewayError(f"the treasury answered {response.status_code}")
        return json.loads(response.content, parse_float=Decimal)

    def pay(self, *, key: str, amount: Decimal, account: str) -> PaymentResult:
        answer = self._post("/mock/treasury/payments/",
                            {"key": key, "amount": str(amount), "account": account})  # fmt: skip
        return PaymentResult(key, answer["status"], answer.get("reference", ""))

    def pay_many(self, orders: list[PaymentOrder]) -> list[PaymentResult]:
        answer = self._post("/mock/treasury/batches/", {"orders": [
            {"key": order.key, "amount": str(order.amount), "account": order.account}
            for order in orders
        ]})  # fmt: skip
        return [PaymentResult(row["key"], row["status"], row.get("reference", ""))
                for row in answer["results"]]  # fmt: skip

    def status(self, *, key: str) -> PaymentResult:
        try:
            response = self.client.get(f"{self.base_url}/mock/treasury/payments/{key}/",
                                       timeout=self.timeout)  # fmt: skip
        except httpx.TransportError as error:
            raise GatewayError(f"cannot reach the treasury: {type(error).__name__}") from error
        if response.status_code == 404:
            return PaymentResult(key, "not_found")
        answer = self._read(response)
        return PaymentResult(key, answer["status"], answer.get("reference", ""))

    def status_many(self, keys: list[str]) -> dict[str, PaymentResult]:
        return {key: self.status(key=key) for key in keys}  # the mock has no bulk query


_http_treasury: HttpTreasury | None = None


def close_treasury() -> None:
    """Drop the shared HTTP client (tests: the live server's threads hold its connections)."""
    global _http_treasury
    if _http_treasury is not None:
        _http_treasury.client.close()
        _http_treasury = None


def gateway() -> Treasury:
    """The configured transport (TREASURY_TRANSPORT); the HTTP client is shared so that its
    connections are reused."""
    global _http_treasury
    if settings.TREASURY_TRANSPORT == "http":
        wanted = settings.TREASURY_HTTP_BASE_URL.rstrip("/")
        if _http_treasury is None or _http_treasury.base_url != wanted:
            _http_treasury = HttpTreasury()
        return _http_treasury
    return SimulatedTreasury()
