"""What partners hear about approvals (qinqing.events): a department's decision on an item
and the permit that follows. Built here, emitted by the services in the same transaction.
The application's reference and the enterprise's USCC and name; never the applicant."""

from __future__ import annotations

from typing import Any

from qinqing.events.services import emit

from .models import Item, ItemStatus, Permit

OUTCOMES = {
    ItemStatus.APPROVED: "approved",
    ItemStatus.REJECTED: "rejected",
    ItemStatus.COMMITTED: "approved_on_commitment",
}


def _enterprise(item: Item) -> dict[str, str] | None:
    enterprise = item.application.enterprise  # cached on the application after the first
    return {"uscc": enterprise.uscc, "name": enterprise.name} if enterprise else None


def _common(item: Item) -> dict[str, Any]:
    return {
        "application": item.application.reference,
        "item": item.pk,
        "item_type": item.item_type.code,
        "item_name": item.item_type.name_zh,
        "department": item.department.code,
        "enterprise": _enterprise(item),
    }


def _scope(item: Item) -> dict[str, int | None]:
    return {"enterprise_id": item.application.enterprise_id,
            "department_id": item.department_id,
            "district_id": item.district_id or item.application.district_id}  # fmt: skip


def item_moved(item: Item, status: str) -> None:
    """Called by services.move_item; `approval.decided` for approvals, rejections and
    approvals on commitment (the reasons of a rejection are what the applicant reads)."""
    outcome = OUTCOMES.get(status)
    if outcome is None:
        return
    payload = {**_common(item), "outcome": outcome, "decided_at": item.decided_at}
    if status == ItemStatus.REJECTED:
        payload["reasons"] = item.decision_note
    emit("approval.decided", payload, subject=f"approval-item:{item.pk}", **_scope(item))


def permit_issued(permit: Permit) -> None:
    item = permit.item
    payload = {**_common(item), "permit": permit.number, "issued_at": permit.issued_at}
    emit("permit.issued", payload, subject=f"permit:{permit.pk}", **_scope(item))
