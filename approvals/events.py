"""What partners hear about approvals (qinqing.events): a department's decision on an item
and the permit that follows. Built here, written in the same transaction as the change: the
decision by the item's transition table (`Item.transitions`' outbox), the permit by
services.permits. The application's reference and the enterprise's USCC and name; never the
applicant.

This module reads the objects it is given and imports no model, so that the models can
name `item_decided` in their transition table."""

from __future__ import annotations

from typing import Any

from qinqing.events.services import Event, emit

# Item status → the outcome partners read (the other moves are not announced).
OUTCOMES = {
    "approved": "approved",
    "rejected": "rejected",
    "committed": "approved_on_commitment",
}


def _enterprise(item: Any) -> dict[str, str] | None:
    enterprise = item.application.enterprise  # cached on the application after the first
    return {"uscc": enterprise.uscc, "name": enterprise.name} if enterprise else None


def _common(item: Any) -> dict[str, Any]:
    return {
        "application": item.application.reference,
        "item": item.pk,
        "item_type": item.item_type.code,
        "item_name": item.item_type.name_zh,
        "department": item.department.code,
        "enterprise": _enterprise(item),
    }


def _scope(item: Any) -> dict[str, int | None]:
    return {"enterprise_id": item.application.enterprise_id,
            "department_id": item.department_id,
            "district_id": item.district_id or item.application.district_id}  # fmt: skip


def item_decided(item: Any, status: str) -> Event | None:
    """`approval.decided` for approvals, rejections and approvals on commitment (the reasons
    of a rejection are what the applicant reads); nothing for the other moves."""
    outcome = OUTCOMES.get(status)
    if outcome is None:
        return None
    payload = {**_common(item), "outcome": outcome, "decided_at": item.decided_at}
    if status == "rejected":
        payload["reasons"] = item.decision_note
    return Event("approval.decided", payload, f"approval-item:{item.pk}", **_scope(item))


def permit_issued(permit: Any) -> None:
    item = permit.item
    payload = {**_common(item), "permit": permit.number, "issued_at": permit.issued_at}
    emit("permit.issued", payload, subject=f"permit:{permit.pk}", **_scope(item))
