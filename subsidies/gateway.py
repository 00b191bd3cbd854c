"""The payment gateway (the city treasury): one interface, `Treasury`, and the registry
of its implementations, `GATEWAYS`, chosen by the setting TREASURY_TRANSPORT.

Payments are idempotent by key: paying twice with one key pays once. A gateway may fail
in the ways real ones do, including the hard one: the payment went through but the
answer was lost. Callers then ask about the same key, never pay with a new one. A batch
run pays through `pay_many`, one payment file of many orders, as treasuries take bulk
disbursements.

Implementations:
- "http" (`HttpTreasury`, here): the production adapter, a treasury over HTTP at
  TREASURY_HTTP_BASE_URL (the sandbox serves the same interface at /mock/treasury/).
- "inprocess": the simulated treasury, registered by the sandbox (sandbox/treasury/)
  when it is installed; the domain never imports it.

A city with another treasury registers its own factory under a name of its choosing, in
its app's `receivers` module, and sets TREASURY_TRANSPORT to that name:

    from subsidies.gateway import GATEWAYS
    GATEWAYS.register("citybank", CityBankTreasury)   # a class or function → a Treasury

With nothing registered under TREASURY_TRANSPORT, every payment attempt raises
`GatewayNotConfigured` (a GatewayError: nothing was sent). The claim then stays "paying"
with the reason on its disbursement, exactly like a treasury outage: it is never lost and
never failed for a configuration mistake, and once a gateway is configured the stalled-
payment sweep pays it with the same key (so never twice).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

import httpx
from django.conf import settings

from qinqing.registry import Registry


class GatewayError(Exception):
    """The gateway refused or could not be reached; nothing is known to be paid."""


class GatewayNotConfigured(GatewayError):
    """No gateway is registered under TREASURY_TRANSPORT: nothing was sent. Retried like an
    outage, so that claims wait for the configuration instead of failing."""


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
    # A person's masked name (a payment file lists persons so); "" for an enterprise.
    payee: str = ""


@dataclass(frozen=True)
class PaymentResult:
    key: str
    status: str  # confirmed / refused / not_found
    reference: str = ""


class Treasury(Protocol):
    """What the payment pipeline asks of a treasury.

    - `pay_many(orders)`: pay a payment file; one result per order, in order: "confirmed"
      (with the treasury's reference) or "refused" (this order will never be paid). Each
      key is paid at most once, however often it is sent.
    - `pay(key=, amount=, account=)`: one order; a refusal raises PaymentRefused.
    - `status_many(keys)` / `status(key=)`: what the treasury's books say of each key:
      "confirmed" with its reference, or "not_found".

    Raise GatewayError when nothing is known to be paid (unreachable, unavailable: the
    pipeline retries with the same keys), OutcomeUnknown when the request may have been
    carried out (the pipeline asks with status_many), PaymentRefused for a refusal.

    Money coming back (a recovery order repaid) is collected from the enterprise's account:

    - `collect(key=, amount=, account=)`: debit the account once per key; "confirmed" with
      the treasury's reference, or PaymentRefused (no such account, not enough funds).
    - `collection_status(key=)`: "confirmed" with its reference, or "not_found".

    Collections are kept apart from payments: a key names one or the other."""

    transport: str

    def collect(self, *, key: str, amount: Decimal, account: str) -> PaymentResult: ...

    def collection_status(self, *, key: str) -> PaymentResult: ...

    def pay(self, *, key: str, amount: Decimal, account: str) -> PaymentResult: ...

    def pay_many(self, orders: list[PaymentOrder]) -> list[PaymentResult]: ...

    def status(self, *, key: str) -> PaymentResult: ...

    def status_many(self, keys: list[str]) -> dict[str, PaymentResult]: ...


# Name (the value of TREASURY_TRANSPORT) → a callable that returns a Treasury.
GATEWAYS: Registry[Callable[[], Treasury]] = Registry("payment gateways")


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
            {"key": order.key, "amount": str(order.amount), "account": order.account,
             **({"payee": order.payee} if order.payee else {})}
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
        return {key: self.status(key=key) for key in keys}  # the interface has no bulk query

    def collect(self, *, key: str, amount: Decimal, account: str) -> PaymentResult:
        answer = self._post("/mock/treasury/collections/",
                            {"key": key, "amount": str(amount), "account": account})  # fmt: skip
        return PaymentResult(key, answer["status"], answer.get("reference", ""))

    def collection_status(self, *, key: str) -> PaymentResult:
        try:
            response = self.client.get(f"{self.base_url}/mock/treasury/collections/{key}/",
                                       timeout=self.timeout)  # fmt: skip
        except httpx.TransportError as error:
            raise GatewayError(f"cannot reach the treasury: {type(error).__name__}") from error
        if response.status_code == 404:
            return PaymentResult(key, "not_found")
        answer = self._read(response)
        return PaymentResult(key, answer["status"], answer.get("reference", ""))


_http_treasury: HttpTreasury | None = None


def close_treasury() -> None:
    """Drop the shared HTTP client (tests: the live server's threads hold its connections)."""
    global _http_treasury
    if _http_treasury is not None:
        _http_treasury.client.close()
        _http_treasury = None


@GATEWAYS.register("http")
def http_treasury() -> HttpTreasury:
    """The HTTP treasury, its client shared so that its connections are reused (made anew
    when TREASURY_HTTP_BASE_URL changes)."""
    global _http_treasury
    wanted = settings.TREASURY_HTTP_BASE_URL.rstrip("/")
    if _http_treasury is None or _http_treasury.base_url != wanted:
        _http_treasury = HttpTreasury()
    return _http_treasury


def gateway() -> Treasury:
    """The gateway registered under TREASURY_TRANSPORT. Raises GatewayNotConfigured when
    there is none (the sandbox off and no real treasury set up)."""
    factory = GATEWAYS.get(settings.TREASURY_TRANSPORT)
    if factory is None:
        raise GatewayNotConfigured(
            f"payment gateway not configured (TREASURY_TRANSPORT={settings.TREASURY_TRANSPORT!r}"
            f"; registered: {', '.join(GATEWAYS) or 'none'})"
        )
    return factory()
