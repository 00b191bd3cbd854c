"""Every change to credit: records, commitments and their outcomes, the daily sweep.

Each write locks the rows it changes (the enterprise's row serialises its credit: two
records arriving together are graded one after the other), checks the allowed
transition, writes an audit event, and does it all in one transaction: the record, the
grade it moves, the list entries the rules then make and, for a breach, whatever the
receivers of `commitment_breached` do (approvals revokes the approval) commit or roll back
together. The hub's cached credit facts are dropped once it commits.

approvals (and others) call the commitment functions here; credit never imports them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enterprises.models import Enterprise
from enterprises.selectors import can_edit_enterprise
from qinqing.audit.services import record_event, record_rows, snapshot
from qinqing.iterables import chunked

from .defaults import NOTICES_V1
from .events import record_added
from .grading import recompute_all, recompute_grade
from .hub import forget_cached_facts
from .lists import apply_rules, candidate_ids, expire_entries
from .models import (
    OFFICIAL_KINDS,
    TRANSITIONS,
    Commitment,
    CommitmentNotice,
    CommitmentStatus,
    CreditRecord,
    ListKind,
    RecordKind,
    RecordStatus,
    Severity,
    SubjectKind,
    TaxGrade,
    publicity_window,
    score_key,
)
from .selectors import entries_in_effect
from .signals import commitment_breached

TITLE_MAX = 200
TEXT_MAX = 2000


class CreditRefused(ValidationError):
    """A change that cannot be made; the message says why, for the person asking."""


class IllegalTransition(CreditRefused):
    """The commitment is not in a state that allows this (HTTP 409 on the API)."""


class CommitmentRouteClosed(CreditRefused):
    """A black-listed enterprise may not use the commitment route (告知承诺)."""


def _lock_enterprise(enterprise_id: int) -> Enterprise:
    return Enterprise.objects.select_for_update(of=("self",)).get(pk=enterprise_id)


def _changed(enterprise_ids: list[int]) -> None:
    forget_cached_facts(enterprise_ids)


# --- Records ------------------------------------------------------------------------------


def _add_record(*, enterprise: Enterprise, kind: str, severity: str, department: Any, title: str,
                occurred_on: date, actor: Any, detail: str = "", legal_basis: str = "",
                reference: str = "", publicity_months: int | None = None, tax_grade: str = "",
                commitment: Commitment | None = None,
                today: date | None = None) -> CreditRecord:  # fmt: skip
    """In the caller's transaction, with the enterprise's row locked: the record, the
    grade it moves, and the lists."""
    today = today or timezone.localdate()
    if occurred_on > today:
        raise CreditRefused({"occurred_on": _("A record cannot be dated in the future.")})
    if severity not in Severity.values:
        raise CreditRefused({"severity": _("Choose minor, general or serious.")})
    try:
        months, public_until, expires_on = publicity_window(severity, occurred_on,
                                                            publicity_months)  # fmt: skip
    except ValidationError as error:
        raise CreditRefused(error.message_dict) from error
    record = CreditRecord(
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
        raise CreditRefused(error.message_dict) from error
    if kind == RecordKind.TAX_GRADE:
        # The newest assessment replaces the older: one tax grade counts at a time (an
        # older one arriving late is kept, already superseded).
        active = CreditRecord.objects.filter(enterprise=enterprise, kind=RecordKind.TAX_GRADE,
                                             status=RecordStatus.ACTIVE)  # fmt: skip
        if active.filter(occurred_on__gt=occurred_on).exists():
            record.status = RecordStatus.SUPERSEDED
        superseded = list(active.filter(occurred_on__lte=occurred_on)
                          .values_list("pk", flat=True))  # fmt: skip
        if superseded:
            CreditRecord.objects.filter(pk__in=superseded).update(status=RecordStatus.SUPERSEDED)
            record_rows(actor=actor, model=CreditRecord, events=[
                ("credit.record_superseded", pk, f"tax grade {pk}",
                 {"status": RecordStatus.ACTIVE}, {"status": RecordStatus.SUPERSEDED})
                for pk in superseded
            ])  # fmt: skip
    record.save()
    record_event(actor=actor, action="credit.record_added", obj=record, after=snapshot(record))
    record_added(record)  # the partners' outbox row, in this transaction
    cause = f"record:{record.pk}"
    recompute_grade(enterprise, cause=cause, actor=actor, today=today)
    apply_rules([enterprise.pk], today=today, actor=actor, cause=cause)
    _changed([enterprise.pk])
    return record


def add_record(*, enterprise: Enterprise, kind: str, severity: str, title: str,
               occurred_on: date, actor: Any, department: Any = None, detail: str = "",
               legal_basis: str = "", reference: str = "", publicity_months: int | None = None,
               tax_grade: str = "", today: date | None = None) -> CreditRecord:  # fmt: skip
    """A department's record. Officials record for their own department only (penalties,
    inspection findings, rewards, court and arrears records), for enterprises in their
    area; the system (actor None: imports) names the department."""
    if actor is not None:
        if not (getattr(actor, "is_authenticated", False) and actor.is_official):
            raise PermissionDenied(_("Only department officials add credit records."))
        if department is not None and department.pk != actor.department_id:
            raise PermissionDenied(_("Officials add records for their own department only."))
        department = actor.department
        if kind not in OFFICIAL_KINDS:
            raise CreditRefused({"kind": _("Officials record penalties, inspection findings, "
                                           "rewards, court judgments and arrears; the other "
                                           "kinds come from the portal itself.")})  # fmt: skip
        if actor.district_id is not None and enterprise.district_id != actor.district_id:
            raise PermissionDenied(_("This enterprise is outside your district."))
    if department is None:
        raise CreditRefused({"department": _("Name the department the record comes from.")})
    if kind not in RecordKind.values:
        raise CreditRefused({"kind": _("Unknown record kind.")})
    if not title or not title.strip():
        raise CreditRefused({"title": _("Give the record a title.")})
    with transaction.atomic():
        locked = _lock_enterprise(enterprise.pk)
        return _add_record(enterprise=locked, kind=kind, severity=severity, department=department,
                           title=title, occurred_on=occurred_on, actor=actor, detail=detail,
                           legal_basis=legal_basis, reference=reference,
                           publicity_months=publicity_months, tax_grade=tax_grade,
                           today=today)  # fmt: skip


def import_tax_grade(*, enterprise: Enterprise, grade: str, assessed_on: date, department: Any,
                     actor: Any = None, today: date | None = None) -> CreditRecord:  # fmt: skip
    """The tax authority's annual grade, on its own A/B/M/C/D scale: public for a year,
    replacing the previous one."""
    if grade not in TaxGrade.values:
        raise CreditRefused({"tax_grade": _("A tax credit grade is A, B, M, C or D.")})
    with transaction.atomic():
        locked = _lock_enterprise(enterprise.pk)
        return _add_record(
            enterprise=locked, kind=RecordKind.TAX_GRADE, severity=Severity.GENERAL,
            department=department, title=_("Tax credit grade %(grade)s") % {"grade": grade},
            occurred_on=assessed_on, actor=actor, publicity_months=12, tax_grade=grade,
            today=today,
        )  # fmt: skip


# --- Commitments --------------------------------------------------------------------------


def ensure_default_notices() -> None:
    """A fresh or flushed database gets the first notices back."""
    for notice in NOTICES_V1:
        if not CommitmentNotice.objects.filter(code=notice["code"]).exists():
            CommitmentNotice.objects.get_or_create(
                code=notice["code"], version=notice["version"],
                defaults={k: v for k, v in notice.items() if k not in ("code", "version")},
            )  # fmt: skip


def current_notice(code: str) -> CommitmentNotice:
    """The version of notice `code` in force now (the highest in force)."""

    def newest() -> CommitmentNotice | None:
        return (CommitmentNotice.objects.filter(code=code, in_force_from__lte=timezone.now())
                .order_by("-version").first())  # fmt: skip

    notice = newest()
    if notice is None and code in {item["code"] for item in NOTICES_V1}:
        ensure_default_notices()
        notice = newest()
    if notice is None:
        raise CommitmentNotice.DoesNotExist(f"no commitment notice {code!r} is in force")
    return notice


def is_black_listed(enterprise: Enterprise, day: date | None = None) -> bool:
    return entries_in_effect(day).filter(enterprise=enterprise,
                                         list_kind=ListKind.BLACK).exists()  # fmt: skip


def make_commitment(*, enterprise: Enterprise, accepted_by: Any, notice: CommitmentNotice,
                    subject_kind: str, subject_ref: str, verify_what: str,
                    verify_by: datetime, department: Any,
                    for_repair: bool = False) -> Commitment:  # fmt: skip
    """The enterprise's member accepts `notice` (its exact text, by hash) for a subject;
    `department` verifies `verify_what` by `verify_by`. Refused for a black-listed
    enterprise: the commitment route is closed to it (CommitmentRouteClosed) — except the
    commitment that comes with a repair application (`for_repair`, credit/repair.py)."""
    if not can_edit_enterprise(accepted_by, enterprise):
        raise PermissionDenied(_("Only the enterprise's own members may commit for it."))
    errors: dict[str, str] = {}
    if subject_kind not in SubjectKind.values:
        errors["subject_kind"] = _("Unknown subject of a commitment.")
    if subject_kind != SubjectKind.STANDALONE and not (subject_ref or "").strip():
        errors["subject_ref"] = _("Name what the commitment is made for.")
    if not (verify_what or "").strip():
        errors["verify_what"] = _("Say what will be verified.")
    elif len(verify_what) > TEXT_MAX:
        errors["verify_what"] = _("At most %(n)d characters.") % {"n": TEXT_MAX}
    if not isinstance(verify_by, datetime) or verify_by <= timezone.now():
        errors["verify_by"] = _("The verification deadline must be in the future.")
    if notice.pk is None or notice.in_force_from > timezone.now():
        errors["notice"] = _("This notice is not in force.")
    elif notice.sha256 != notice.compute_sha256():
        errors["notice"] = _("The notice's text does not match its hash.")
    if department is None:
        errors["department"] = _("Name the department that verifies the commitment.")
    if errors:
        raise CreditRefused(errors)
    with transaction.atomic():
        locked = _lock_enterprise(enterprise.pk)
        if not locked.is_in_business:
            raise CreditRefused(
                _("%(name)s is %(status)s in the register and cannot make commitments.")
                % {"name": locked.name, "status": locked.get_status_display()}
            )
        if not for_repair and is_black_listed(locked):
            raise CommitmentRouteClosed(_("%(name)s is on the black list: the commitment route "
                                          "is closed to it until the listing ends.")
                                        % {"name": locked.name})  # fmt: skip
        commitment = Commitment.objects.create(
            enterprise=locked, notice=notice, text_sha256=notice.sha256, accepted_by=accepted_by,
            accepted_at=timezone.now(), subject_kind=subject_kind,
            subject_ref=(subject_ref or "").strip()[:100], verify_what=verify_what.strip(),
            verify_by=verify_by, department=department, status=CommitmentStatus.MADE,
        )  # fmt: skip
        record_event(actor=accepted_by, action="credit.commitment_made", obj=commitment,
                     after=snapshot(commitment))  # fmt: skip
        _add_record(enterprise=locked, kind=RecordKind.COMMITMENT_MADE, severity=Severity.MINOR,
                    department=department, title=_commitment_title(commitment),
                    detail=commitment.verify_what, occurred_on=timezone.localdate(),
                    actor=accepted_by, commitment=commitment)  # fmt: skip
    return commitment


def _commitment_title(commitment: Commitment) -> str:
    subject = commitment.subject_ref or commitment.get_subject_kind_display()
    return f"{commitment.notice.title}（{subject}）"


def _locked_commitment(commitment_id: int) -> Commitment:
    try:
        locked = Commitment.objects.select_for_update(of=("self",))
        return locked.select_related("enterprise", "notice", "department").get(pk=commitment_id)
    except (Commitment.DoesNotExist, ValueError, TypeError):
        raise CreditRefused(_("No such commitment.")) from None


def may_verify(actor: Any, commitment: Commitment) -> bool:
    """Officials of the verifying department (in their district, when district-scoped) —
    never a member of the enterprise; actor None is the system (a task or another app's
    automatic step)."""
    if actor is None:
        return True
    return bool(
        getattr(actor, "is_authenticated", False) and actor.is_active and actor.is_official
        and actor.department_id == commitment.department_id
        and (actor.district_id is None or actor.district_id == commitment.enterprise.district_id)
        and not commitment.enterprise.memberships.filter(user=actor).exists()
    )  # fmt: skip


def may_withdraw(actor: Any, commitment: Commitment) -> bool:
    return (
        actor is None
        or can_edit_enterprise(actor, commitment.enterprise)
        or may_verify(actor, commitment)
    )


def _move(commitment: Commitment, to: str, actor: Any, **changes: Any) -> Commitment:
    """The one place a commitment's status changes."""
    here = commitment.status
    if to not in TRANSITIONS[here]:
        raise IllegalTransition(
            _("A commitment that is “%(status)s” cannot become “%(to)s”.")
            % {"status": CommitmentStatus(here).label, "to": CommitmentStatus(to).label}
        )
    commitment.status = to
    for name, value in changes.items():
        setattr(commitment, name, value)
    commitment.save(update_fields=["status", "updated_at", *changes])
    record_event(actor=actor, action=f"credit.commitment_{to}", obj=commitment,
                 before={"status": here},
                 after={"status": to, **{k: str(v) for k, v in changes.items()
                                         if k in ("reason",)}})  # fmt: skip
    return commitment


def _decided(actor: Any, reason: str) -> dict[str, Any]:
    return {"decided_at": timezone.now(),
            "decided_by": actor if getattr(actor, "is_authenticated", False) else None,
            "reason": reason.strip()[:TEXT_MAX]}  # fmt: skip


def start_verification(commitment_id: int, *, actor: Any) -> Commitment:
    """The verifying department begins checking the commitment."""
    with transaction.atomic():
        commitment = _locked_commitment(commitment_id)
        if not may_verify(actor, commitment):
            raise PermissionDenied(_("Only officials of the verifying department may do this."))
        return _move(commitment, CommitmentStatus.VERIFYING, actor)


def fulfil_commitment(commitment_id: int, *, actor: Any, note: str = "") -> Commitment:
    """Verified true: a "commitment fulfilled" record (points as the model says)."""
    with transaction.atomic():
        commitment = _locked_commitment(commitment_id)
        if not may_verify(actor, commitment):
            raise PermissionDenied(_("Only officials of the verifying department may do this."))
        _move(commitment, CommitmentStatus.FULFILLED, actor, **_decided(actor, note or ""))
        enterprise = _lock_enterprise(commitment.enterprise_id)
        _add_record(enterprise=enterprise, kind=RecordKind.COMMITMENT_FULFILLED,
                    severity=Severity.MINOR, department=commitment.department,
                    title=_commitment_title(commitment), detail=note or "",
                    occurred_on=timezone.localdate(), actor=actor,
                    commitment=commitment)  # fmt: skip
        return commitment


def breach_commitment(commitment_id: int, *, actor: Any, reason: str,
                      severity: str = Severity.GENERAL) -> Commitment:  # fmt: skip
    """Verified untrue or not kept: a "commitment breached" record, the grade recomputed,
    the list rules applied, and `commitment_breached` sent — all in this transaction, so
    a receiver that fails undoes the breach and everything it caused."""
    if not (reason or "").strip():
        raise CreditRefused({"reason": _("Say why the commitment is breached.")})
    if severity not in Severity.values:
        raise CreditRefused({"severity": _("Choose minor, general or serious.")})
    with transaction.atomic():
        commitment = _locked_commitment(commitment_id)
        if not may_verify(actor, commitment):
            raise PermissionDenied(_("Only officials of the verifying department may do this."))
        _move(commitment, CommitmentStatus.BREACHED, actor, **_decided(actor, reason))
        enterprise = _lock_enterprise(commitment.enterprise_id)
        _add_record(enterprise=enterprise, kind=RecordKind.COMMITMENT_BREACHED, severity=severity,
                    department=commitment.department, title=_commitment_title(commitment),
                    detail=reason.strip(), occurred_on=timezone.localdate(), actor=actor,
                    commitment=commitment)  # fmt: skip
        commitment_breached.send(sender=Commitment, commitment=commitment, actor=actor)
        return commitment


def penalise_commitment(
    commitment_id: int, *, actor: Any, reason: str, severity: str = Severity.GENERAL,
    reference: str = "",
) -> Commitment:  # fmt: skip
    """The department's penalty decision on a breached commitment: an administrative
    penalty record, linked to the commitment."""
    if not (reason or "").strip():
        raise CreditRefused({"reason": _("Say what the penalty is.")})
    with transaction.atomic():
        commitment = _locked_commitment(commitment_id)
        if not may_verify(actor, commitment):
            raise PermissionDenied(_("Only officials of the verifying department may do this."))
        _move(commitment, CommitmentStatus.PENALISED, actor, **_decided(actor, reason))
        enterprise = _lock_enterprise(commitment.enterprise_id)
        _add_record(enterprise=enterprise, kind=RecordKind.ADMINISTRATIVE_PENALTY,
                    severity=severity, department=commitment.department,
                    title=_commitment_title(commitment), detail=reason.strip(),
                    reference=reference, occurred_on=timezone.localdate(), actor=actor,
                    commitment=commitment)  # fmt: skip
        return commitment


def withdraw_commitment(commitment_id: int, *, actor: Any, reason: str = "") -> Commitment:
    """Before the outcome: the enterprise (or the verifying department, or the system when
    the application it belonged to is withdrawn) withdraws it. No points either way."""
    with transaction.atomic():
        commitment = _locked_commitment(commitment_id)
        if not may_withdraw(actor, commitment):
            raise PermissionDenied(_("Only the enterprise or the verifying department may "
                                     "withdraw this commitment."))  # fmt: skip
        return _move(commitment, CommitmentStatus.WITHDRAWN, actor, **_decided(actor, reason))


# --- The daily sweep ----------------------------------------------------------------------


def expire_records(today: date) -> list[int]:
    """Records at the end of their effect stop counting; returns their enterprises."""
    due = list(CreditRecord.objects.filter(status=RecordStatus.ACTIVE, expires_on__lte=today)
               .values_list("pk", "enterprise_id"))  # fmt: skip
    for chunk in chunked(due, 5000):
        with transaction.atomic():
            CreditRecord.objects.filter(pk__in=[row[0] for row in chunk],
                                        status=RecordStatus.ACTIVE).update(
                status=RecordStatus.EXPIRED)  # fmt: skip
            record_rows(actor=None, model=CreditRecord, events=[
                ("credit.record_expired", pk, f"record {pk}", {"status": RecordStatus.ACTIVE},
                 {"status": RecordStatus.EXPIRED}) for pk, _enterprise in chunk
            ])  # fmt: skip
    return sorted({row[1] for row in due})


def daily_sweep(today: date | None = None, *, chunk_size: int = 2000) -> dict[str, Any]:
    """Beat, once a day; idempotent. Records and list entries past their term end, every
    grade is recomputed (a model version coming into force, records that stopped
    counting), and the list rules are applied to every candidate."""
    today = today or timezone.localdate()
    expired_records = expire_records(today)
    with transaction.atomic():
        expired_entries = expire_entries(today)
        _changed(expired_entries)
    grades = recompute_all(today=today, cause="daily")
    forget_cached_facts(grades.letter_changed_ids, facts=["credit.grade"])
    lists = apply_rules_in_chunks(sorted(candidate_ids(today)), today=today, cause="daily",
                                  chunk_size=chunk_size)  # fmt: skip
    return {"day": today.isoformat(), "records_expired": len(expired_records),
            "entries_expired": len(expired_entries), "grades": grades.as_json(),
            **lists}  # fmt: skip


def apply_rules_in_chunks(enterprise_ids: list[int], *, today: date | None = None,
                          cause: str, chunk_size: int = 2000) -> dict[str, int]:  # fmt: skip
    """The list rules for many enterprises, a chunk per transaction, each chunk's
    enterprises locked as a record's arrival locks one (the two never interleave)."""
    today = today or timezone.localdate()
    added = ended = 0
    for chunk in chunked(sorted(enterprise_ids), chunk_size):
        for attempt in range(2):
            try:
                with transaction.atomic():
                    list(Enterprise.objects.select_for_update().filter(pk__in=chunk)
                         .order_by("pk").values_list("pk", flat=True))  # fmt: skip
                    changes = apply_rules(chunk, today=today, cause=cause)
                    _changed(sorted(changes.enterprise_ids))
                break
            except IntegrityError:  # an entry made meanwhile by a record's arrival: again
                if attempt:
                    raise
        added += len(changes.added)
        ended += len(changes.ended)
    return {"list_candidates": len(enterprise_ids), "entries_added": added,
            "entries_ended": ended}  # fmt: skip
