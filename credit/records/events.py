"""What partners hear about credit (qinqing.events): a record added, with the fields the
public page shows (never the detail text or who recorded it). Emitted by the services in
the record's transaction; the tax-grade import emits a chunk's records in one insert."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from enterprises.models import Enterprise
from qinqing.events.services import Event, emit, emit_many
from qinqing.iterables import chunked

from .models import CreditRecord


def _payload(record: CreditRecord, department_code: str, uscc: str, name: str) -> dict[str, Any]:
    return {
        "record": record.pk,
        "enterprise": {"uscc": uscc, "name": name},
        "kind": record.kind,
        "severity": record.severity,
        "tax_grade": record.tax_grade,
        "title": record.title,
        "legal_basis": record.legal_basis,
        "reference": record.reference,
        "department": department_code,
        "occurred_on": record.occurred_on,
        "public_until": record.public_until,
        "expires_on": record.expires_on,
        "status": record.status,
    }


def record_added(record: CreditRecord) -> None:
    enterprise = record.enterprise
    emit("credit.record_added",
         _payload(record, record.department.code, enterprise.uscc, enterprise.name),
         subject=f"credit-record:{record.pk}", enterprise_id=enterprise.pk,
         department_id=record.department_id, district_id=enterprise.district_id)  # fmt: skip


def records_added(records: Sequence[CreditRecord], department_code: str) -> None:
    """Records of one department saved in bulk (the tax-grade import): one read of their
    enterprises per 10,000 and one insert."""
    enterprises: dict[int, tuple[str, str, int | None]] = {}
    for ids in chunked(sorted({record.enterprise_id for record in records}), 10_000):
        enterprises.update(
            (pk, (uscc, name, district_id))
            for pk, uscc, name, district_id in Enterprise.objects.filter(pk__in=ids)
            .values_list("pk", "uscc", "name", "district_id")
        )  # fmt: skip
    events = []
    for record in records:
        uscc, name, district_id = enterprises[record.enterprise_id]
        event = Event("credit.record_added", _payload(record, department_code, uscc, name),
                      subject=f"credit-record:{record.pk}", enterprise_id=record.enterprise_id,
                      department_id=record.department_id, district_id=district_id)  # fmt: skip
        events.append(event)
    emit_many(events)
