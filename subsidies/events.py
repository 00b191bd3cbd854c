"""What partners hear about claims (qinqing.events): the outbox hooks of Claim.transitions,
written in the transaction of the change. The enterprise's USCC and name, the policy and
the amount; never bank details or people.

The models name these hooks, so this module reads claims through the app registry rather
than importing the models (which import it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.apps import apps

from qinqing.bulk import KeyedRead, any_of
from qinqing.events.services import Event
from qinqing.iterables import chunked

from .claim_parties import CLAIM_FIELDS, ClaimParties, claim_parties

# The claims by key, with what their events say (the app registry: see above).
_CLAIMS = KeyedRead(lambda keys: apps.get_model("subsidies", "Claim").objects
                    .filter(any_of("pk", keys)).values_list(*CLAIM_FIELDS))  # fmt: skip

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


def claim_events(claim_ids: list[int], status: str,
                 known: Mapping[int, ClaimParties] | None = None) -> list[Event]:  # fmt: skip
    """Many claims' change (qinqing.transitions.move_many): two reads a few thousand
    claims (subsidies.claim_parties), none when the caller read them already in this
    transaction (`known`: claim id → ClaimParties, as confirm_many does)."""
    event_type = EVENT_OF_STATUS.get(status)
    if event_type is None:
        return []
    events = []
    for ids in chunked(list(claim_ids), 5000):
        if known is not None and all(pk in known for pk in ids):
            rows = [known[pk] for pk in ids]
        else:
            rows = claim_parties(_CLAIMS, ids)
        events.extend(
            Event(event_type,
                  _payload(claim_id=row.pk, status=status, uscc=row.uscc, name=row.name,
                           policy=row.policy_code, version=row.version_number,
                           period=row.period, amount=row.amount),
                  subject=f"claim:{row.pk}", enterprise_id=row.enterprise_id,
                  department_id=row.department_id, district_id=row.district_id)
            for row in rows
        )  # fmt: skip
    return events
