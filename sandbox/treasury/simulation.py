"""The simulated treasury, in this process: its behaviour (latency, outages, lost answers:
settings.TREASURY_SIMULATION) and its books (TreasuryRecord). It implements the domain's
`subsidies.gateway.Treasury` interface and is registered as the "inprocess" gateway
(receivers.py); the HTTP interface (views.py) serves the same books at /mock/treasury/."""

from __future__ import annotations

import random
import secrets
import time
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction

from qinqing.bulk import any_of, insert_values, plan_by_keys
from subsidies.gateway import (
    GatewayError,
    OutcomeUnknown,
    PaymentOrder,
    PaymentRefused,
    PaymentResult,
)

from .models import TreasuryCollection, TreasuryRecord

BOOKED = ("key", "amount", "account", "payee", "reference")


def behaviour() -> dict:
    return {"latency_ms": 30, "error_rate": 0.0, "lost_answer_rate": 0.0,
            **getattr(settings, "TREASURY_SIMULATION", {})}  # fmt: skip


class SimulatedTreasury:
    """The treasury's behaviour and books (TreasuryRecord), in this process."""

    transport = "inprocess"

    def pay(self, *, key: str, amount: Decimal, account: str) -> PaymentResult:
        return self.pay_many([PaymentOrder(key, amount, account)], single=True)[0]

    def pay_many(self, orders: list[PaymentOrder], *, single: bool = False) -> list[PaymentResult]:
        """One round trip for the whole file; each order is still paid at most once."""
        conduct = behaviour()
        time.sleep(max(0.0, random.gauss(conduct["latency_ms"], 5)) / 1000)
        if random.random() < conduct["error_rate"]:
            raise GatewayError("the treasury is unavailable")
        # The file booked in two statements: the keys on the books read, the new written.
        books = self._book(orders)
        results = []
        for order in orders:
            amount, reference = books[order.key]
            if amount != order.amount:
                if single:
                    raise PaymentRefused("a payment with this key exists for another amount")
                results.append(PaymentResult(order.key, "refused"))
                continue
            results.append(PaymentResult(order.key, "confirmed", reference))
        if random.random() < conduct["lost_answer_rate"]:
            raise OutcomeUnknown("paid, but the answer was lost")
        return results

    def _book(self, orders: list[PaymentOrder]) -> dict[str, tuple[Decimal, str]]:
        """Book the file: each key paid once. The keys already on the books are read, the
        new ones written in one COPY; should another file book one of them meanwhile (its
        insert then meets the unique key), the file is booked again skipping what exists.
        Returns every key's (amount, reference) as the books hold it."""
        keys = [order.key for order in orders]
        # The references drawn from one read of the system's randomness for the whole file
        # (uuid4() read it once an order: a system call each).
        drawn = secrets.token_hex(8 * len(orders)).upper()
        rows = [(order.key, order.amount, order.account, order.payee,
                 f"HZT{drawn[16 * n:16 * n + 16]}") for n, order in enumerate(orders)]  # fmt: skip
        with transaction.atomic():
            plan_by_keys()
            books = self._books_of(keys)
            new = [row for row in rows if row[0] not in books]
            try:
                with transaction.atomic():
                    insert_values(TreasuryRecord, BOOKED, new, keys=False)
            except IntegrityError:  # booked meanwhile by another file
                insert_values(TreasuryRecord, BOOKED, new, ignore_conflicts=True)
                return self._books_of(keys)
        return {**books, **{key: (amount, reference)
                            for key, amount, _account, _payee, reference in new}}  # fmt: skip

    @staticmethod
    def _books_of(keys: list[str]) -> dict[str, tuple[Decimal, str]]:
        return {key: (amount, reference) for key, amount, reference in
                TreasuryRecord.objects.filter(any_of("key", keys))
                .values_list("key", "amount", "reference")}  # fmt: skip

    def status(self, *, key: str) -> PaymentResult:
        return self.status_many([key])[key]

    def status_many(self, keys: list[str]) -> dict[str, PaymentResult]:
        found = TreasuryRecord.objects.filter(any_of("key", keys))
        books = {record.key: record for record in found}
        return {
            key: PaymentResult(key, "confirmed", books[key].reference)
            if key in books
            else PaymentResult(key, "not_found")
            for key in keys
        }

    def collect(self, *, key: str, amount: Decimal, account: str) -> PaymentResult:
        """Debit the enterprise's account once per key (a recovery order repaid); the same
        key for another amount is refused, like a payment."""
        conduct = behaviour()
        time.sleep(max(0.0, random.gauss(conduct["latency_ms"], 5)) / 1000)
        if random.random() < conduct["error_rate"]:
            raise GatewayError("the treasury is unavailable")
        if not account:
            raise PaymentRefused("no account to collect from")
        record, _created = TreasuryCollection.objects.get_or_create(
            key=key, defaults={"amount": amount, "account": account,
                               "reference": f"HZC{uuid.uuid4().hex[:16].upper()}"},
        )  # fmt: skip
        if record.amount != amount:
            raise PaymentRefused("a collection with this key exists for another amount")
        if random.random() < conduct["lost_answer_rate"]:
            raise OutcomeUnknown("collected, but the answer was lost")
        return PaymentResult(key, "confirmed", record.reference)

    def collection_status(self, *, key: str) -> PaymentResult:
        record = TreasuryCollection.objects.filter(key=key).first()
        if record is None:
            return PaymentResult(key, "not_found")
        return PaymentResult(key, "confirmed", record.reference)
