"""The call log: one DataCall row per department interface asked (or answered from the
cache), naming the enterprise or the person, the purpose and who asked."""

from datetime import datetime
from typing import Any

from django.db import connection

from departments.models import Department
from enterprises.models import Enterprise
from enterprises.persons.models import Person
from qinqing.bulk import insert_values

from ..catalogue import FactSpec
from ..models import DataCall

# The call log's words for a department nobody connected (CallOutcome.NO_PROVIDER's label
# says the same to a reader of the log, in their language).
NO_ADAPTER_DETAIL = "unknown: no adapter configured for this department"


class CallLog:
    """The call-log rows of one subject's fetch: whom it is about, its purpose and who
    asked, the same on every row; the rows are written together at the end."""

    def __init__(self, subject: Enterprise | Person, purpose: str, requested_by: Any,
                 now: datetime):  # fmt: skip
        # A read about a person names the person and no enterprise: their employer never
        # sees it.
        is_person = isinstance(subject, Person)
        self.enterprise = None if is_person else subject
        self.person = subject if is_person else None
        self.purpose = purpose.strip()[:200]
        is_user = requested_by is not None and getattr(requested_by, "is_authenticated", False)
        self.user = requested_by if is_user else None
        self.label = requested_by.get_username() if is_user else str(requested_by or "system")
        self.now = now

    def entry(self, department: Department | int, interface: str, specs: list[FactSpec],
              transport: str, outcome: str, latency_ms: float, *, detail: str = "",
              response_hash: str = "") -> DataCall:  # fmt: skip
        # The department, or its key (a fetch reads the keys only).
        where = {"department": department} if isinstance(department, Department) else {
            "department_id": department}  # fmt: skip
        return DataCall(
            **where, interface=interface, enterprise=self.enterprise,
            person=self.person, fact_names=[spec.name for spec in specs], purpose=self.purpose,
            requested_by=self.user, requested_by_label=self.label[:150], transport=transport,
            started_at=self.now, latency_ms=round(latency_ms, 2), outcome=outcome,
            detail=detail, response_hash=response_hash,
        )  # fmt: skip


def write_calls(calls: list[DataCall]) -> None:
    """The rows of a fetch, written together (qinqing.bulk.insert_values: one INSERT for
    a few, atomic by itself; bulk_create wrapped it in a transaction of its own, two
    statements more per claim checked, and compiled a model statement each time)."""
    if not calls:
        return
    rows = [[getattr(call, name) for name in _CALL_FIELDS] for call in calls]
    keys = insert_values(DataCall, _CALL_FIELDS, rows)
    for call, pk in zip(calls, keys, strict=True):
        call.pk = pk
        call._state.adding, call._state.db = False, connection.alias


# Every column of a call-log row but its key and its stamps (insert_values stamps them),
# by attribute name.
_CALL_FIELDS = tuple(
    field.attname for field in DataCall._meta.concrete_fields
    if not field.primary_key and not getattr(field, "auto_now", False)
    and not getattr(field, "auto_now_add", False)
)  # fmt: skip
