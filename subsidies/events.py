"""What partners hear about claims (qinqing.events): the outbox hooks of Claim.transitions,
written in the transaction of the change. The enterprise's USCC and name, the policy and
the amount; never bank details or people.

The models name these hooks, so this module reads claims through the app registry rather
than importing the models (which import it)."""

from __future__ import annotations

from typing import Any

from django.apps import apps

from qinqing.bulk import any_of
from qinqing.events.services import Event
from qinqing.iterables import chunked

# The claim statuses partners follow, and the event each one is.
EVENT_OF_STATUS = {
    "paid": "claim.paid",
    "ineligible": "claim.ineligible",
    "withdrawn": "claim.withdrawn",
}


def _payload(*, claim_id: int, status: str, uscc: str, name: str, policy: str, version: int,
             period: str, amount) -> dict:  # fmt: skip
    return {"claim": claim_id, "status": status, "enterprise": {"uscc": uscc, "name": name},
            "policy": policy, "policy_version": version, "period": period,
            "amount": str(amount) if amount is not None else None}  # fmt: skip


def claim_event(claim: Any, status: str) -> Event | None:
    """One claim's change (qinqing.transitions.move). Reads only what a locked claim of
    the services already holds (enterprise, policy, version)."""
    event_type = EVENT_OF_STATUS.get(status)
    if event_type is None:
        return None
    enterprise = claim.enterprise
    return Event(
        event_type,
        _payload(claim_id=claim.pk, status=status, uscc=enterprise.uscc, name=enterprise.name,
                 policy=claim.policy.code, version=claim.version.number, period=claim.period,
                 amount=claim.amount),
        subject=f"claim:{claim.pk}", enterprise_id=enterprise.pk,
        department_id=claim.policy.department_id, district_id=enterprise.district_id,
    )  # fmt: skip


def claim_events(claim_ids: list[int], status: str) -> list[Event]:
    """Many claims' change (qinqing.transitions.move_many): one read a few thousand claims."""
    event_type = EVENT_OF_STATUS.get(status)
    if event_type is None:
        return []
    claims = apps.get_model("subsidies", "Claim").objects
    events = []
    for ids in chunked(list(claim_ids), 5000):
        rows = list(claims.filter(any_of("pk", ids)).values_list(
            "pk", "enterprise_id", "policy_id", "version_id", "period", "amount"))  # fmt: skip
        # Each table read by its keys, not joined: a chunk's enterprises probed by key (a
        # join over a million enterprises was planned as a scan of their whole index), its
        # policy and version (one or two for thousands of claims) read once.
        enterprises = {pk: rest for pk, *rest in apps.get_model(
            "enterprises", "Enterprise").objects.filter(any_of("pk", {row[1] for row in rows}))
            .values_list("pk", "uscc", "name", "district_id")}  # fmt: skip
        policies = dict(_policies_of({row[2] for row in rows}))
        numbers = dict(apps.get_model("policies", "PolicyVersion").objects.filter(
            any_of("pk", {row[3] for row in rows})).values_list("pk", "number"))  # fmt: skip
        for pk, enterprise_id, policy_id, version_id, period, amount in rows:
            uscc, name, district_id = enterprises[enterprise_id]
            code, department_id = policies[policy_id]
            number = numbers[version_id]
            events.append(Event(
                event_type,
                _payload(claim_id=pk, status=status, uscc=uscc, name=name, policy=code,
                         version=number, period=period, amount=amount),
                subject=f"claim:{pk}", enterprise_id=enterprise_id,
                department_id=department_id, district_id=district_id,
            ))  # fmt: skip
    return events


def _policies_of(policy_ids: set[int]) -> list[tuple[int, tuple[str, int]]]:
    found = apps.get_model("policies", "Policy").objects.filter(any_of("pk", policy_ids))
    rows = found.values_list("pk", "code", "department_id")
    return [(pk, (code, department_id)) for pk, code, department_id in rows]
