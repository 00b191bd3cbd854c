"""Every change to credit records. Each write locks the enterprise's row (it serialises
its credit: two records arriving together are graded one after the other), writes an audit
event, and in the same transaction moves the grade and applies the list rules; the hub's
cached credit facts are dropped once it commits."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enterprises.models import Enterprise
from qinqing.audit.services import record_event, snapshot
from qinqing.iterables import chunked
from qinqing.scoping import is_active_user, official_covers
from qinqing.transitions import move_many

from ..commitments.models import Commitment
from ..errors import CreditNotAllowed, refused
from ..grades.services import recompute_grade
from ..hub import forget_cached_facts
from ..limits import SWEEP_CHUNK, TITLE_MAX
from ..lists.services import apply_rules
from .events import record_added
from .models import (
    OFFICIAL_KINDS,
    CreditRecord,
    RecordKind,
    RecordStatus,
    Severity,
    TaxGrade,
    publicity_window,
    score_key,
)


def lock_enterprise(enterprise_id: int) -> Enterprise:
    return Enterprise.objects.select_for_update(of=("self",)).get(pk=enterprise_id)


def add_record_locked(*, enterprise: Enterprise, kind: str, severity: str, department: Any,
                      title: str, occurred_on: date, actor: Any, detail: str = "",
                      legal_basis: str = "", reference: str = "",
                      publicity_months: int | None = None, tax_grade: str = "",
                      commitment: Commitment | None = None,
                      today: date | None = None) -> CreditRecord:  # fmt: skip
    """In the caller's transaction, with the enterprise's row locked: the record, the
    grade it moves, and the lists."""
    today = today or timezone.localdate()
    if occurred_on > today:
        raise refused({"occurred_on": _("A record cannot be dated in the future.")})
    if severity not in Severity.values:
        raise refused({"severity": _("Choose minor, general or serious.")})
    try:
        months, public_until, expires_on = publicity_window(severity, occurred_on,
                                                            publicity_months)  # fmt: skip
    except ValidationError as error:
        raise refused(error.message_dict) from error
    # The newest tax assessment replaces the older: one tax grade counts at a time (an
    # older one arriving late is kept, already superseded).
    tax_grades = CreditRecord.objects.filter(enterprise=enterprise, kind=RecordKind.TAX_GRADE,
                                             status=RecordStatus.ACTIVE)  # fmt: skip
    newer = kind == RecordKind.TAX_GRADE and tax_grades.filter(occurred_on__gt=occurred_on).exists()
    record = CreditRecord(
        status=RecordStatus.SUPERSEDED if newer else RecordStatus.ACTIVE,
        enterprise=enterprise, kind=kind, severity=severity, tax_grade=tax_grade,
        department=department, title=title.strip()[:TITLE_MAX], detail=detail.strip(),
        legal_basis=legal_basis.strip(), reference=reference.strip(), occurred_on=occurred_on,
        publicity_months=months, public_until=public_until, expires_on=expires_on,
        commitment=commitment, recorded_by=actor if getattr(actor, "is_authenticated", False)
        else None,
    )  # fmt: skip
    record.score_key = score_key(kind, severity, tax_grade)
    try:
        record.full_clean()
    except ValidationError as error:
        raise refused(error.message_dict) from error
    if kind == RecordKind.TAX_GRADE:
        older = list(tax_grades.filter(occurred_on__lte=occurred_on).values_list("pk", flat=True))
        move_many(CreditRecord, older, RecordStatus.SUPERSEDED, actor=actor,
                  labels={pk: f"tax grade {pk}" for pk in older})  # fmt: skip
    record.save()
    record_event(actor=actor, action="credit.record_added", obj=record, after=snapshot(record))
    record_added(record)  # the partners' outbox row, in this transaction
    cause = f"record:{record.pk}"
    recompute_grade(enterprise, cause=cause, actor=actor, today=today)
    apply_rules([enterprise.pk], today=today, actor=actor, cause=cause)
    forget_cached_facts([enterprise.pk])
    return record


def add_record(*, enterprise: Enterprise, kind: str, severity: str, title: str,
               occurred_on: date, actor: Any, department: Any = None, detail: str = "",
               legal_basis: str = "", reference: str = "", publicity_months: int | None = None,
               tax_grade: str = "", today: date | None = None) -> CreditRecord:  # fmt: skip
    """A department's record. Officials record for their own department only (penalties,
    inspection findings, rewards, court and arrears records), for enterprises in their
    area; the system (actor None: imports) names the department."""
    if actor is not None:
        if not official_covers(actor, any_department=True, district_id=enterprise.district_id):
            if is_active_user(actor) and actor.is_official:
                raise CreditNotAllowed(_("This enterprise is outside your district."))
            raise CreditNotAllowed(_("Only department officials add credit records."))
        if department is not None and department.pk != actor.department_id:
            raise CreditNotAllowed(_("Officials add records for their own department only."))
        department = actor.department
        if kind not in OFFICIAL_KINDS:
            raise refused({"kind": _("Officials record penalties, inspection findings, "
                                     "rewards, court judgments and arrears; the other "
                                     "kinds come from the portal itself.")})  # fmt: skip
    if department is None:
        raise refused({"department": _("Name the department the record comes from.")})
    if kind not in RecordKind.values:
        raise refused({"kind": _("Unknown record kind.")})
    if not title or not title.strip():
        raise refused({"title": _("Give the record a title.")})
    with transaction.atomic():
        locked = lock_enterprise(enterprise.pk)
        return add_record_locked(enterprise=locked, kind=kind, severity=severity,
                                 department=department, title=title, occurred_on=occurred_on,
                                 actor=actor, detail=detail, legal_basis=legal_basis,
                                 reference=reference, publicity_months=publicity_months,
                                 tax_grade=tax_grade, today=today)  # fmt: skip


def import_tax_grade(*, enterprise: Enterprise, grade: str, assessed_on: date, department: Any,
                     actor: Any = None, today: date | None = None) -> CreditRecord:  # fmt: skip
    """The tax authority's annual grade, on its own A/B/M/C/D scale: public for a year,
    replacing the previous one."""
    if grade not in TaxGrade.values:
        raise refused({"tax_grade": _("A tax credit grade is A, B, M, C or D.")})
    with transaction.atomic():
        locked = lock_enterprise(enterprise.pk)
        return add_record_locked(
            enterprise=locked, kind=RecordKind.TAX_GRADE, severity=Severity.GENERAL,
            department=department, title=_("Tax credit grade %(grade)s") % {"grade": grade},
            occurred_on=assessed_on, actor=actor, publicity_months=12, tax_grade=grade,
            today=today,
        )  # fmt: skip


def expire_records(today: date) -> list[int]:
    """Records at the end of their effect stop counting; returns their enterprises. A chunk
    a transaction, in ONE statement (move_many's chunk as large as the transaction's)."""
    due = dict(CreditRecord.objects.filter(status=RecordStatus.ACTIVE, expires_on__lte=today)
               .order_by("pk").values_list("pk", "enterprise_id"))  # fmt: skip
    expired: list[int] = []
    for chunk in chunked(due, SWEEP_CHUNK):
        with transaction.atomic():  # a repair meanwhile keeps its end: from "active" only
            expired += move_many(CreditRecord, chunk, RecordStatus.EXPIRED,
                                 labels={pk: f"record {pk}" for pk in chunk},
                                 chunk_size=SWEEP_CHUNK)  # fmt: skip
    return sorted({due[pk] for pk in expired})
