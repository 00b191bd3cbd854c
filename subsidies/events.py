"""What partners hear about claims (qinqing.events): built here, emitted by the services in
the transaction of the change. The enterprise's USCC and name, the policy and the amount;
never bank details or people."""

from __future__ import annotations

from collections.abc import Iterable

from qinqing.events.services import Event, emit, emit_many
from qinqing.iterables import chunked

from .models import Claim, ClaimStatus

EVENT_OF_STATUS = {ClaimStatus.PAID: "claim.paid", ClaimStatus.INELIGIBLE: "claim.ineligible"}


def _payload(*, claim_id: int, status: str, uscc: str, name: str, policy: str, version: int,
             period: str, amount) -> dict:  # fmt: skip
    return {"claim": claim_id, "status": status, "enterprise": {"uscc": uscc, "name": name},
            "policy": policy, "policy_version": version, "period": period,
            "amount": str(amount) if amount is not None else None}  # fmt: skip


def claim_moved(claim: Claim, status: str) -> None:
    """Called by services._move for every change; emits for the statuses partners follow.
    Reads only what the services' locked claim already holds (enterprise, policy, version)."""
    event_type = EVENT_OF_STATUS.get(status)
    if event_type is None:
        return
    enterprise = claim.enterprise
    emit(
        event_type,
        _payload(
            claim_id=claim.pk,
            status=status,
            uscc=enterprise.uscc,
            name=enterprise.name,
            policy=claim.policy.code,
            version=claim.version.number,
            period=claim.period,
            amount=claim.amount,
        ),
        subject=f"claim:{claim.pk}",
        enterprise_id=enterprise.pk,
        department_id=claim.policy.department_id,
        district_id=enterprise.district_id,
    )


def claims_paid(claim_ids: Iterable[int]) -> None:
    """The batch path: one read and one bulk insert for a chunk's thousands of claims."""
    events = []
    for ids in chunked(list(claim_ids), 5000):
        rows = Claim.objects.filter(pk__in=ids).values_list(
            "pk", "enterprise_id", "enterprise__uscc", "enterprise__name",
            "enterprise__district_id", "policy__code", "policy__department_id",
            "version__number", "period", "amount",
        )  # fmt: skip
        for pk, enterprise_id, uscc, name, district_id, code, department_id, number, period, \
                amount in rows:  # fmt: skip
            events.append(Event(
                "claim.paid",
                _payload(claim_id=pk, status=ClaimStatus.PAID, uscc=uscc, name=name,
                         policy=code, version=number, period=period, amount=amount),
                subject=f"claim:{pk}", enterprise_id=enterprise_id,
                department_id=department_id, district_id=district_id,
            ))  # fmt: skip
    emit_many(events)
