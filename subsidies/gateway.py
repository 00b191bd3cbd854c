"""The payment gateway (the city treasury): a simulated adapter behind one interface.

Payments are idempotent by key: paying twice with one key pays once. The simulation can
fail in the ways real gateways do, including the hard one: the payment went through but
the answer was lost. Callers then ask about the same key, never pay with a new one.
"""

import random
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction

from .models import TreasuryRecord


class GatewayError(Exception):
    """The gateway refused or could not be reached; nothing is known to be paid."""


class OutcomeUnknown(Exception):
    """The request may or may not have been carried out: ask with the same key."""


@dataclass(frozen=True)
class PaymentResult:
    key: str
    status: str  # confirmed / refused / not_found
    reference: str = ""


def _behaviour() -> dict:
    return {"latency_ms": 30, "error_rate": 0.0, "lost_answer_rate": 0.0,
            **getattr(settings, "TREASURY_SIMULATION", {})}  # fmt: skip


class SimulatedTreasury:
    transport = "inprocess"

    def pay(self, *, key: str, amount: Decimal, account: str) -> PaymentResult:
        conduct = _behaviour()
        time.sleep(max(0.0, random.gauss(conduct["latency_ms"], 5)) / 1000)
        if random.random() < conduct["error_rate"]:
            raise GatewayError("the treasury is unavailable")
        try:
            with transaction.atomic():
                record, _created = TreasuryRecord.objects.get_or_create(
                    key=key, defaults={"amount": amount, "account": account,
                                       "reference": f"HZT{uuid.uuid4().hex[:16].upper()}"},
                )  # fmt: skip
        except IntegrityError:
            record = TreasuryRecord.objects.get(key=key)
        if record.amount != amount:
            raise GatewayError("a payment with this key exists for another amount")
        if random.random() < conduct["lost_answer_rate"]:
            raise OutcomeUnknown("paid, but the answer was lost")
        return PaymentResult(key, "confirmed", record.reference)

    def status(self, *, key: str) -> PaymentResult:
        record = TreasuryRecord.objects.filter(key=key).first()
        if record is None:
            return PaymentResult(key, "not_found")
        return PaymentResult(key, "confirmed", record.reference)


def gateway() -> SimulatedTreasury:
    return SimulatedTreasury()
