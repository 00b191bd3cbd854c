"""Every change to a commitment: made (its record, refused to a black-listed enterprise),
verification started, fulfilled, breached (the record, the grade, the lists and whatever
the receivers of `commitment_breached` do — approvals revokes the approval — commit or roll
back together), penalised, withdrawn.

approvals (and others) call the functions here; credit never imports them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enterprises.models import Enterprise
from enterprises.selectors import can_edit_enterprise
from qinqing.audit.services import record_event, snapshot
from qinqing.i18n import CHINESE, ENGLISH, in_languages
from qinqing.notifications.text import Text
from qinqing.scoping import is_member, official_covers
from qinqing.transitions import move

from ..defaults import NOTICES_V1
from ..errors import CommitmentRouteClosed, CreditNotAllowed, CreditRefused, refused
from ..limits import TEXT_MAX
from ..lists.models import ListKind
from ..lists.selectors import entries_in_effect
from ..records.models import RecordKind, Severity
from ..records.services import add_record_locked, lock_enterprise
from ..signals import commitment_breached, commitment_locking
from .models import Commitment, CommitmentNotice, CommitmentStatus, SubjectKind


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
                    subject_kind: str, subject_ref: str, verify_what: Text,
                    verify_by: datetime, department: Any,
                    for_repair: bool = False) -> Commitment:  # fmt: skip
    """The enterprise's member accepts `notice` (its exact text, by hash) for a subject;
    `department` verifies `verify_what` by `verify_by` (a lazy msgid or a Message is stored
    in both languages, qinqing.i18n.in_languages; a person's plain text as written). Refused
    for a black-listed
    enterprise: the commitment route is closed to it (CommitmentRouteClosed) — except the
    commitment that comes with a repair application (`for_repair`, credit/repair/services.py)."""
    if not can_edit_enterprise(accepted_by, enterprise):
        raise CreditNotAllowed(_("Only the enterprise's own members may commit for it."))
    errors: dict[str, str] = {}
    both = in_languages(verify_what)
    verify_what, verify_what_en = both[CHINESE].strip(), both[ENGLISH].strip()
    if verify_what_en == verify_what:
        verify_what_en = ""
    if subject_kind not in SubjectKind.values:
        errors["subject_kind"] = _("Unknown subject of a commitment.")
    if subject_kind != SubjectKind.STANDALONE and not (subject_ref or "").strip():
        errors["subject_ref"] = _("Name what the commitment is made for.")
    if not (verify_what or "").strip():
        errors["verify_what"] = _("Say what will be verified.")
    elif max(len(verify_what), len(verify_what_en)) > TEXT_MAX:
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
        raise refused(errors)
    with transaction.atomic():
        locked = lock_enterprise(enterprise.pk)
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
            subject_ref=(subject_ref or "").strip()[:100], verify_what=verify_what,
            verify_what_en=verify_what_en, verify_by=verify_by, department=department,
            status=CommitmentStatus.MADE,
        )  # fmt: skip
        record_event(actor=accepted_by, action="credit.commitment.made", obj=commitment,
                     after=snapshot(commitment))  # fmt: skip
        add_record_locked(enterprise=locked, kind=RecordKind.COMMITMENT_MADE,
                          severity=Severity.MINOR, department=department,
                          title=_commitment_title(commitment), detail=commitment.verify_what,
                          occurred_on=timezone.localdate(), actor=accepted_by,
                          commitment=commitment)  # fmt: skip
    return commitment


def _commitment_title(commitment: Commitment) -> str:
    """A reference, not words in one language: pages title the record in the reader's
    language from its commitment (credit.records.titles.record_title)."""
    return f"credit.commitment:{commitment.pk}"


def _locked_commitment(commitment_id: int) -> Commitment:
    """The commitment, row-locked, after the rows of what it was made for (the one lock
    order: application → item → commitment → enterprise; credit/signals.py)."""
    try:
        commitment_locking.send(sender=Commitment, commitment_id=int(commitment_id))
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
    return official_covers(
        actor, department_id=commitment.department_id,
        district_id=commitment.enterprise.district_id,
    ) and not is_member(actor, commitment.enterprise_id)  # fmt: skip


def may_withdraw(actor: Any, commitment: Commitment) -> bool:
    return (
        actor is None
        or can_edit_enterprise(actor, commitment.enterprise)
        or may_verify(actor, commitment)
    )


def _decided(actor: Any, reason: str) -> dict[str, Any]:
    return {"decided_at": timezone.now(),
            "decided_by": actor if getattr(actor, "is_authenticated", False) else None,
            "reason": reason.strip()[:TEXT_MAX]}  # fmt: skip


def start_verification(commitment_id: int, *, actor: Any) -> Commitment:
    """The verifying department begins checking the commitment."""
    with transaction.atomic():
        commitment = _locked_commitment(commitment_id)
        if not may_verify(actor, commitment):
            raise CreditNotAllowed(_("Only officials of the verifying department may do this."))
        return move(commitment, CommitmentStatus.VERIFYING, actor=actor)


def fulfil_commitment(commitment_id: int, *, actor: Any, note: str = "") -> Commitment:
    """Verified true: a "commitment fulfilled" record (points as the model says)."""
    with transaction.atomic():
        commitment = _locked_commitment(commitment_id)
        if not may_verify(actor, commitment):
            raise CreditNotAllowed(_("Only officials of the verifying department may do this."))
        move(commitment, CommitmentStatus.FULFILLED, actor=actor, **_decided(actor, note or ""))
        enterprise = lock_enterprise(commitment.enterprise_id)
        add_record_locked(enterprise=enterprise, kind=RecordKind.COMMITMENT_FULFILLED,
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
        raise refused({"reason": _("Say why the commitment is breached.")})
    if severity not in Severity.values:
        raise refused({"severity": _("Choose minor, general or serious.")})
    with transaction.atomic():
        commitment = _locked_commitment(commitment_id)
        if not may_verify(actor, commitment):
            raise CreditNotAllowed(_("Only officials of the verifying department may do this."))
        move(commitment, CommitmentStatus.BREACHED, actor=actor, **_decided(actor, reason))
        enterprise = lock_enterprise(commitment.enterprise_id)
        add_record_locked(enterprise=enterprise, kind=RecordKind.COMMITMENT_BREACHED,
                          severity=severity, department=commitment.department,
                          title=_commitment_title(commitment), detail=reason.strip(),
                          occurred_on=timezone.localdate(), actor=actor,
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
        raise refused({"reason": _("Say what the penalty is.")})
    with transaction.atomic():
        commitment = _locked_commitment(commitment_id)
        if not may_verify(actor, commitment):
            raise CreditNotAllowed(_("Only officials of the verifying department may do this."))
        move(commitment, CommitmentStatus.PENALISED, actor=actor, **_decided(actor, reason))
        enterprise = lock_enterprise(commitment.enterprise_id)
        add_record_locked(enterprise=enterprise, kind=RecordKind.ADMINISTRATIVE_PENALTY,
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
            raise CreditNotAllowed(_("Only the enterprise or the verifying department may "
                                     "withdraw this commitment."))  # fmt: skip
        return move(commitment, CommitmentStatus.WITHDRAWN, actor=actor, **_decided(actor, reason))
