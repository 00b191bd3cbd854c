"""Every change to a fact dispute: checked, locked, audited, one transaction.

An enterprise member raises a dispute on one fact (from a claim, the calculator or the
data-access log), with what they hold the value to be and, if they wish, a file; it goes to
the department the fact catalogue names as the fact's owner, on the working-hours clock. An
official of that department (and district) confirms the fact or corrects it; a correction
becomes the hub's answer (datahub.corrections), which tells the apps above on commit. The
enterprise may withdraw a dispute not yet decided. The beat sweep warns and escalates
(qinqing.workhours.deadlines.watch).

A person disputes a fact about themselves (PERSON_CATALOGUE) the same way, with the same
clock and deadlines, from their claim's reasons, the policies they qualify for or "My
data"; the department's city-wide officials decide. The hub keeps no copy of a person's
data, so a correction is the department's own record (the dispute keeps the value and the
reason, and the person is told); it writes no FactCorrection.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.selectors import officials_of, supervisors_of
from datahub import corrections
from datahub.catalogue import CATALOGUE, PERSON_CATALOGUE, FactSpec
from datahub.fetching.pipeline import fetch_facts, fetch_person_facts
from datahub.normalise import MalformedValue, to_json
from departments.models import Department
from enterprises.models import Enterprise
from enterprises.persons.models import Person
from enterprises.persons.selectors import person_of
from policies.selectors import ClaimDescription
from qinqing import attachments, errors, masking
from qinqing.audit.services import record_event
from qinqing.notifications.services import notify
from qinqing.notifications.text import Message
from qinqing.private_files import removed_unless_committed
from qinqing.scoping import is_active_user, is_member, official_covers
from qinqing.transitions import move, refusal
from qinqing.workhours import deadlines
from qinqing.workhours.case_services import read_clock

from .models import Dispute, DisputeAttachment, DisputeStatus, Origin, private_storage
from .notification_kinds import DEADLINE_KIND, DISPUTE_KIND

VALUE_MAX = 200
TEXT_MAX = 5000


class DisputeRefused(errors.Refused):
    """The dispute cannot be raised or decided as asked (400)."""


def _text(text: str, *, what: str, field: str, limit: int = TEXT_MAX) -> str:
    """The text, required and bounded; a resident identity number written into it is kept
    masked (nobody deciding or reading a dispute needs it, not even its writer)."""
    text = masking.ID_NUMBER.sub(lambda m: masking.mask_digits(m.group(), keep_start=6),
                                 (text or "").strip())  # fmt: skip
    if not text:
        raise errors.Invalid(
            _("Write the %(what)s: it cannot be empty.") % {"what": what},
            fields={field: [_("This field is required.")]},
        )
    if len(text) > limit:
        raise errors.Invalid(
            _("The %(what)s is too long: at most %(max)d characters.")
            % {"what": what, "max": limit},
            fields={field: [_("At most %(max)d characters.") % {"max": limit}]},
        )
    return text


def fact_spec(name: str, *, person: bool = False) -> FactSpec:
    """The catalogue's fact (a person's facts for a person's dispute, an enterprise's
    otherwise), or a 400 naming the field."""
    spec = (PERSON_CATALOGUE if person else CATALOGUE).get((name or "").strip())
    if spec is not None and spec.personal:
        raise errors.Invalid(
            _("“%(fact)s” is changed where it is kept (your bank account: at the bank of "
              "your social security card), not by a dispute.") % {"fact": spec.label},
            fields={"fact": [_("This fact cannot be disputed here.")]},
        )  # fmt: skip
    if spec is None:
        raise errors.Invalid(
            _("There is no such fact in the catalogue."),
            fields={"fact": [_("Choose a fact the hub holds.")]},
        )
    return spec


def typed(spec: FactSpec, raw: Any, *, field: str) -> Any:
    """A value given for the fact, as the catalogue's type, or a 400 saying what is wanted."""
    try:
        return corrections.typed_value(spec, _text(str(raw or ""), what=_("value"),
                                                   field=field, limit=VALUE_MAX))  # fmt: skip
    except MalformedValue:
        wanted = spec.type.label
        if spec.choices:
            wanted = f"{wanted}: {', '.join(spec.choice_label(c) for c in spec.choices)}"
        raise errors.Invalid(
            _("“%(fact)s” takes a %(type)s.") % {"fact": spec.label, "type": wanted},
            fields={field: [_("Give a %(type)s.") % {"type": wanted}]},
        ) from None


def _reference() -> str:
    return f"ZY{timezone.localdate():%Y%m%d}-{secrets.token_hex(3).upper()}"


def _owner(spec: FactSpec, named: Department | None) -> Department:
    """The department that owns the fact; naming another is refused."""
    owner = Department.objects.filter(code=spec.department, is_active=True).first()
    if owner is None:
        raise errors.Unavailable(_("The department that holds this fact is not available."))
    if named is not None and named.pk != owner.pk:
        raise errors.Invalid(
            _("%(department)s does not hold “%(fact)s”: %(owner)s does, and decides disputes "
              "on it.") % {"department": named.name, "fact": spec.label, "owner": owner.name},
            fields={"department": [_("Not the department that holds this fact.")]},
        )  # fmt: skip
    return owner


def _from_claim(claim: ClaimDescription, enterprise: Enterprise | None, spec: FactSpec) -> Any:
    """The value the claim was decided on; refused when the claim is not the enterprise's,
    was not decided on the fact, or its period has closed. A person's claim was found
    among the person's own (describe_claim is scoped to the person)."""
    if enterprise is not None and claim.enterprise_uscc != enterprise.uscc:
        raise errors.NotFound(_("No claim of that number among your enterprise's claims."))
    rows = [row for row in claim.explanation if row.get("fact") == spec.name]
    if not rows:
        raise errors.Invalid(
            _("The claim was not decided on “%(fact)s”.") % {"fact": spec.label},
            fields={"fact": [_("Choose a fact the claim was decided on.")]},
        )
    if not claim.period_open:
        raise errors.Conflict(
            _("The claim's period %(period)s has closed: its facts can no longer be disputed "
              "for it. Claim again in the present period; you may still dispute the fact "
              "from the data-access log.") % {"period": claim.period},
            code="period_closed",
        )  # fmt: skip
    return rows[0].get("value")


HELD_PURPOSE = "disputes.dispute raised: the value the department holds"
# A person's data-access log shows the purpose as written: in their words, both languages.
PERSON_HELD_PURPOSE = (
    "您提出的数据异议：部门所持的数值 (your dispute: the value the department holds)"
)


def _held_now(enterprise: Enterprise, spec: FactSpec, actor: Any) -> Any:
    """The value the hub holds for the fact today (a dispute raised from the calculator or
    the data-access log names no claim): what the official weighs the enterprise's value
    against. Read through the hub with its purpose, from its cache where it can; None when
    the department cannot answer now (the official then reads it themselves)."""
    fact = fetch_facts(enterprise, [spec.name], purpose=HELD_PURPOSE, requested_by=actor)[spec.name]
    return to_json(fact.value) if fact.known else None


def _person_held_now(person: Person, spec: FactSpec, actor: Any) -> Any:
    """The value the department holds about the person today, read through the hub with a
    purpose the person reads in their own log; None when it cannot answer now."""
    fact = fetch_person_facts(person, [spec.name], purpose=PERSON_HELD_PURPOSE,
                              requested_by=actor).facts[spec.name]  # fmt: skip
    return to_json(fact.value) if fact.known else None


def _subject_allowed(actor: Any, enterprise: Enterprise | None, person: Person | None) -> None:
    """Exactly one subject, and the actor speaks for it: a member of the enterprise, or the
    person themself (nobody raises a dispute about somebody else)."""
    if (enterprise is None) == (person is None):
        raise errors.Invalid(_("A dispute is about one enterprise or one person."))
    if person is not None:
        own = person_of(actor) if is_active_user(actor) else None
        if own is None or own.pk != person.pk:
            raise errors.NotAllowed(_("Only the person themself may dispute facts about them."))
        return
    if not is_member(actor, enterprise.pk):  # qinqing.scoping: active, and a member
        raise errors.NotAllowed(_("Only the enterprise's members may dispute its facts."))


def raise_dispute(
    *,
    actor: Any,
    enterprise: Enterprise | None = None,
    person: Person | None = None,
    fact: str,
    claimed_value: str,
    statement: str,
    origin: str = Origin.DATA_LOG,
    claim: ClaimDescription | None = None,
    department: Department | None = None,
    files: Iterable[Any] = (),
) -> Dispute:
    """A new dispute with the department that owns the fact, about the enterprise or about
    the person (exactly one); both sides are told."""
    _subject_allowed(actor, enterprise, person)
    if origin not in Origin.values:
        raise errors.Invalid(fields={"origin": [_("Not a place a dispute is raised from.")]})
    spec = fact_spec(fact, person=person is not None)
    owner = _owner(spec, department)
    claimed = typed(spec, claimed_value, field="claimed_value")
    statement = _text(statement, what=_("statement"), field="statement")
    checked = _checked(list(files), already=0)
    period = corrections.period_of(spec)
    subject = {"person": person} if person is not None else {"enterprise": enterprise}
    if _open_one(subject, spec, period):
        raise _already_open()
    if claim is not None:
        held = _from_claim(claim, enterprise, spec)
    elif person is not None:
        held = _person_held_now(person, spec, actor)
    else:
        held = _held_now(enterprise, spec, actor)
    try:
        with removed_unless_committed(private_storage) as written, transaction.atomic():
            dispute = Dispute(
                reference=_reference(), enterprise=enterprise, person=person,
                district=enterprise.district if enterprise is not None else None,
                raised_by=actor, department=owner, fact=spec.name, period=period,
                origin=origin, claim_id=claim.claim_id if claim else None,
                policy=claim.policy if claim else None, held_value=held,
                claimed_value=to_json(claimed), statement=statement,
            )  # fmt: skip
            dispute.deadline = read_clock(dispute).deadline
            dispute.save(force_insert=True)
            record_event(
                actor=actor,
                action="disputes.dispute.raised",
                obj=dispute,
                after={"department": owner.code, "fact": spec.name, "period": period,
                       "origin": origin, "claim": dispute.claim_id},
            )  # fmt: skip
            _store(dispute, checked, actor, written)
            _tell_department(dispute, gettext_lazy("New fact dispute: {subject}"))
            _tell_raiser(dispute, gettext_lazy("Your fact dispute was sent: {subject}"))
    except IntegrityError:  # raised meanwhile by a colleague (the constraint says so)
        if _open_one(subject, spec, period):
            raise _already_open() from None
        raise
    return dispute


def _open_one(subject: dict[str, Any], spec: FactSpec, period: str) -> bool:
    return Dispute.objects.filter(**subject, fact=spec.name, period=period,
                                  status=DisputeStatus.RAISED).exists()  # fmt: skip


def _already_open() -> errors.Conflict:
    return errors.Conflict(
        _("A dispute on this fact is already with the department; follow it there."),
        code="dispute_open",
    )


def _checked(uploads: list[Any], *, already: int) -> list[attachments.CheckedFile]:
    if already + len(uploads) > attachments.MAX_PER_REQUEST:
        raise DisputeRefused(
            _("At most %(max)d attachments per dispute.") % {"max": attachments.MAX_PER_REQUEST}
        )
    return [attachments.check(upload, DisputeRefused) for upload in uploads]


def add_attachments(dispute_id: int, *, actor: Any, files: Iterable[Any]) -> Dispute:
    """The enterprise adds evidence to a dispute not yet decided."""
    uploads = list(files)
    if not uploads:
        raise DisputeRefused(_("Choose a file to attach."))
    with removed_unless_committed(private_storage) as written, transaction.atomic():
        dispute = _locked(dispute_id)
        if not is_raising_side(actor, dispute):
            raise errors.NotAllowed(_("Only the side that raised the dispute may add evidence."))
        if dispute.status != DisputeStatus.RAISED:
            raise errors.Conflict(_("A decided or withdrawn dispute takes no more evidence."))
        _store(dispute, _checked(uploads, already=dispute.attachments.count()), actor, written)
    return dispute


def _store(dispute: Dispute, checked: list, actor: Any, written: list[str]) -> None:
    for item in checked:
        attachment = DisputeAttachment(
            dispute=dispute, name=item.name, size=item.size,
            content_type=item.content_type, uploaded_by=actor,
        )  # fmt: skip
        attachment.file.save(item.content.name, item.content, save=False)
        written.append(attachment.file.name)
        attachment.save()
        record_event(actor=actor, action="disputes.dispute.attachment", obj=dispute,
                     after={"name": item.name, "size": item.size})  # fmt: skip


def _locked(dispute_id: int) -> Dispute:
    found = (
        Dispute.objects.select_for_update(of=("self",))
        .select_related("enterprise", "person", "department")
        .filter(pk=dispute_id)
        .first()
    )
    if found is None:
        raise errors.NotFound(_("There is no such dispute."))
    return found


def is_deciding_official(user: Any, dispute: Dispute) -> bool:
    return official_covers(user, department_id=dispute.department_id,
                           district_id=dispute.district_id)  # fmt: skip


def is_raising_side(user: Any, dispute: Dispute) -> bool:
    """The enterprise's members for an enterprise's dispute; the person themself for a
    person's."""
    if dispute.person_id is not None:
        own = person_of(user)
        return own is not None and own.pk == dispute.person_id
    return (is_active_user(user) and user.is_enterprise_member
            and is_member(user, dispute.enterprise_id))  # fmt: skip


def confirm(dispute_id: int, *, actor: Any, reason: str) -> Dispute:
    """The department holds its value: the dispute ends, the fact stays as it was."""
    reason = _text(reason, what=_("reason"), field="reason")
    with transaction.atomic():
        dispute = _locked(dispute_id)
        _require_official(actor, dispute)
        move(dispute, DisputeStatus.CONFIRMED, actor=actor, decided_by=actor,
             decided_at=timezone.now(), reason=reason, deadline=None)  # fmt: skip
        _tell_raiser(dispute, gettext_lazy("The department confirmed the fact: {subject}"))
    return dispute


def correct(dispute_id: int, *, actor: Any, value: Any, reason: str) -> Dispute:
    """The department corrects the fact: the new value becomes the hub's answer for the
    enterprise (or the person) and period, with this dispute as its provenance."""
    reason = _text(reason, what=_("reason"), field="reason")
    with transaction.atomic():
        dispute = _locked(dispute_id)
        _require_official(actor, dispute)
        if dispute.status != DisputeStatus.RAISED:  # before anything is written to the hub
            raise refusal(dispute, dispute.status, DisputeStatus.CORRECTED)
        spec = fact_spec(dispute.fact, person=dispute.person_id is not None)
        corrected = typed(spec, value, field="value")
        corrections.record_correction(
            enterprise=dispute.enterprise, person=dispute.person, spec=spec,
            period=dispute.period, value=corrected, dispute_reference=dispute.reference,
            official=actor,
        )  # fmt: skip
        move(dispute, DisputeStatus.CORRECTED, actor=actor, decided_by=actor,
             decided_at=timezone.now(), reason=reason,
             corrected_value=to_json(corrected), deadline=None)  # fmt: skip
        _tell_raiser(dispute, gettext_lazy("The department corrected the fact: {subject}"))
    return dispute


def withdraw(dispute_id: int, *, actor: Any) -> Dispute:
    """The enterprise (or the person) takes back a dispute not yet decided."""
    with transaction.atomic():
        dispute = _locked(dispute_id)
        if not is_raising_side(actor, dispute):
            raise errors.NotAllowed(_("Only the side that raised the dispute may withdraw it."))
        move(dispute, DisputeStatus.WITHDRAWN, actor=actor, withdrawn_at=timezone.now(),
             deadline=None)  # fmt: skip
        _tell_department(dispute, gettext_lazy("Fact dispute withdrawn: {subject}"))
    return dispute


def _require_official(user: Any, dispute: Dispute) -> None:
    if not is_deciding_official(user, dispute):
        raise errors.NotAllowed(
            _("Only an official of the department that holds the fact may decide this dispute.")
        )


def subject(dispute: Dispute) -> str:
    spec = CATALOGUE.get(dispute.fact) or PERSON_CATALOGUE.get(dispute.fact)
    return f"{dispute.reference} · {spec.label if spec else dispute.fact}"


def _officials(dispute: Dispute) -> list[int]:
    return list(
        officials_of(dispute.department_id, dispute.district_id).values_list("pk", flat=True)
    )


def _tell_department(dispute: Dispute, title: Any) -> None:
    users = _officials(dispute)
    if users:
        notify(users, DISPUTE_KIND, Message(title, subject=dispute.reference),
               link=f"/disputes/queue/{dispute.pk}/")  # fmt: skip


def _tell_raiser(dispute: Dispute, title: Any) -> None:
    notify([dispute.raised_by_id], DISPUTE_KIND, Message(title, subject=dispute.reference),
           link=f"/disputes/{dispute.pk}/")  # fmt: skip


def watch_deadlines(now: datetime | None = None) -> dict[str, int]:
    """80 % warnings and escalations of disputes awaiting their department, each once."""
    return deadlines.watch(
        Dispute.objects.filter(status=DisputeStatus.RAISED).prefetch_related("pauses"),
        action="disputes.dispute",
        kind=DEADLINE_KIND,
        officials=_officials,
        supervisors=lambda dispute: supervisors_of(dispute.department_id),
        warning=gettext_lazy("Time limit 80 percent used: {subject}"),
        overdue=gettext_lazy("Overdue fact dispute: {subject}"),
        subject=lambda dispute: dispute.reference,
        link=lambda dispute: f"/disputes/queue/{dispute.pk}/",
        now=now,
    )
