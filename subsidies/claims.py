"""Claims as people make them: submitted by an enterprise's member, reviewed by an
official (apply-mode policies), an offer confirmed with one click. Deciding and paying
is the pipeline's (subsidies/pipeline.py), the same for every claim."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from datahub.fetching.pipeline import fetch_person_facts
from enterprises.models import Enterprise
from enterprises.persons.models import Person
from enterprises.selectors import can_edit_enterprise
from policies.evaluation import is_targeted
from policies.models import Beneficiary, Policy, PolicyVersion, VersionStatus
from qinqing.audit.services import record_event
from qinqing.errors import ServiceError
from qinqing.scoping import is_member, official_covers

from . import checkqueue
from .errors import ClaimConflict, ClaimRefused, ReviewNotAllowed
from .models import Claim, ClaimStatus
from .moves import locked_claim, move_claim
from .payments import retry_payments
from .pipeline import book_paying
from .selectors import can_review_claim

REVIEW_NOTE_MAX = 500


def ensure_in_business(enterprise: Enterprise, error: type[ServiceError] = ClaimConflict) -> None:
    """Revoked or deregistered enterprises receive nothing: refused before anything is
    written. A claim on an enterprise revoked since is a conflict (409); a new claim for
    one is refused as asked (400)."""
    if not enterprise.is_in_business:
        raise error(
            _("%(name)s is %(status)s in the register and cannot receive subsidies.")
            % {"name": enterprise.name, "status": enterprise.get_status_display()}
        )


def period_key(version: PolicyVersion, day: date) -> str:
    return {
        "once": "once",
        "yearly": f"{day.year}",
        "quarterly": f"{day.year}Q{(day.month - 1) // 3 + 1}",
        "monthly": f"{day.year}-{day.month:02d}",
    }[version.claim_period]


def open_version(policy: Policy, day: date) -> PolicyVersion | None:
    return policy.versions.filter(
        status=VersionStatus.PUBLISHED, valid_from__lte=day, valid_until__gte=day
    ).first()


def open_version_by_code(code: str, day: date) -> PolicyVersion | None:
    """open_version() of the policy with this code, read with its policy in one statement
    (the API's claim names the policy by code); None when there is no such policy too."""
    open_on_day = {"status": VersionStatus.PUBLISHED, "valid_from__lte": day,
                   "valid_until__gte": day}  # fmt: skip
    return (
        PolicyVersion.objects.select_related("policy")
        .filter(policy__code=code, **open_on_day)
        .first()
    )


def submit_claim(*, enterprise: Enterprise | None = None, policy: Policy, actor: Any,
                 origin: str = "enterprise", day: date | None = None,
                 version: PolicyVersion | None = None, member: bool | None = None,
                 person: Person | None = None) -> tuple[Claim, bool]:  # fmt: skip
    """One claim per enterprise, policy and period: a second submission returns the first.

    `version` and `member` spare statements the caller has just run: the policy's open
    version on `day` (open_version_by_code), and whether `actor` is an active member of
    the enterprise (read with it, as is_member reads it). Unsaid, they are read here.

    `person`: a person's own claim on a version paying persons (apply, confirm or
    automatic: one the batch has not reached, or that they claim first), made by the
    person's own login; its enterprise is the employer the social insurance department
    names now. One claim per person, policy and period, whatever the route: a second
    returns the first (a batch's offer or payment included)."""
    day = day or timezone.localdate()
    if person is not None:
        return _submit_person_claim(person=person, policy=policy, actor=actor, day=day,
                                    version=version)  # fmt: skip
    if enterprise is None:
        raise ClaimRefused(_("Say which enterprise claims."))
    if member is None and origin == "enterprise":
        member = can_edit_enterprise(actor, enterprise)
    if origin == "enterprise" and not member:
        raise ClaimRefused(_("Only the enterprise's own members may claim for it."))
    ensure_in_business(enterprise, ClaimRefused)
    if version is None or version.policy_id != policy.pk:
        version = open_version(policy, day)
    if version is None:
        raise ClaimRefused(_("This policy is not open for claims today."))
    if version.beneficiary == Beneficiary.PERSON:
        raise ClaimRefused(_("This policy pays employees in person: each claims it "
                             "themselves, or the enterprise confirms its roster."))  # fmt: skip
    if not is_targeted(policy, enterprise):
        raise ClaimRefused(_("This policy is not for your district or industry."))
    period = period_key(version, day)
    try:
        with transaction.atomic():
            # Recorded as already checking: the check is queued by this very commit, and a
            # claim whose check is lost is put back by due_rechecks() after ten minutes.
            claim = Claim.objects.create(
                enterprise=enterprise, policy=policy, version=version, period=period,
                submitted_by=actor if getattr(actor, "is_authenticated", False) else None,
                origin=origin, status=ClaimStatus.CHECKING, checks=1,
            )  # fmt: skip
            record_event(actor=actor, action="claim.submitted", obj=claim,
                         after={"policy": policy.code, "period": period,
                                "status": ClaimStatus.CHECKING})  # fmt: skip
            # Robust: with the broker down the claim is recorded all the same (the user sees
            # it checking, not a 500); due_rechecks() picks up a check that was never queued.
            # With the claims waiting at the same moment (subsidies/checkqueue.py).
            transaction.on_commit(lambda: checkqueue.enqueue(claim.pk), robust=True)
    except IntegrityError:
        existing = Claim.objects.get(enterprise=enterprise, policy=policy, period=period)
        existing.enterprise, existing.policy = enterprise, policy  # the rows just read
        return existing, False
    return claim, True


EMPLOYER_FACTS = ["person.hrss.insured", "person.hrss.employer_uscc"]


def employer_of(person: Person, *, purpose: str, actor: Any = None) -> Enterprise | None:
    """The enterprise that insures `person` now, as the social insurance department says
    (through the hub, with `purpose`); None when not insured or not in the register."""
    read = fetch_person_facts(person, EMPLOYER_FACTS, purpose=purpose, requested_by=actor)
    insured, uscc = read["person.hrss.insured"], read["person.hrss.employer_uscc"]
    if not (insured.known and insured.value and uscc.known and uscc.value):
        return None
    return Enterprise.objects.filter(uscc=str(uscc.value)).first()


def _submit_person_claim(*, person: Person, policy: Policy, actor: Any, day: date,
                         version: PolicyVersion | None) -> tuple[Claim, bool]:  # fmt: skip
    if not (getattr(actor, "is_authenticated", False) and person.user_id == actor.pk):
        raise ClaimRefused(_("Only the person themselves may make their own claim."))
    if version is None or version.policy_id != policy.pk:
        version = open_version(policy, day)
    if version is None:
        raise ClaimRefused(_("This policy is not open for claims today."))
    if version.beneficiary != Beneficiary.PERSON:
        raise ClaimRefused(_("This policy pays enterprises, not persons."))
    period = period_key(version, day)
    existing = Claim.objects.filter(person=person, policy=policy, period=period).first()
    if existing is not None:
        return existing, False
    employer = employer_of(person, actor=actor,
                           purpose=f"subsidies.person_claim:{policy.pk} the employer whose "
                                   f"insurance the claim for {policy.code} rests on")  # fmt: skip
    if employer is None:
        raise ClaimRefused(
            _(
                "The social insurance department does not show you insured by "
                "an enterprise in the register: this policy is for employees."
            )
        )
    if not is_targeted(policy, employer):
        raise ClaimRefused(_("This policy is not for your employer's district or industry."))
    ensure_in_business(employer, ClaimRefused)
    try:
        with transaction.atomic():
            claim = Claim.objects.create(
                enterprise=employer, person=person, policy=policy, version=version,
                period=period, submitted_by=actor, origin="person",
                status=ClaimStatus.CHECKING, checks=1,
            )  # fmt: skip
            record_event(actor=actor, action="claim.submitted", obj=claim,
                         after={"policy": policy.code, "period": period,
                                "status": ClaimStatus.CHECKING})  # fmt: skip
            transaction.on_commit(lambda: checkqueue.enqueue(claim.pk), robust=True)
    except IntegrityError:
        return Claim.objects.get(person=person, policy=policy, period=period), False
    return claim, True


def _claim_for_review(claim_id: int, actor: Any) -> Claim:
    """The claim, locked, after checking that `actor` may review it and that it waits for
    a review. Runs inside the caller's transaction."""
    claim = locked_claim(claim_id)
    if not can_review_claim(actor, claim):
        raise ReviewNotAllowed(_("Only an official of the policy's department, for the "
                                 "enterprise's district, may review this claim."))  # fmt: skip
    if claim.status != ClaimStatus.IN_REVIEW:
        raise ClaimConflict(_("This claim is not awaiting review (it is now: %(status)s).")
                            % {"status": claim.get_status_display()})  # fmt: skip
    return claim


def approve_claim(claim_id: int, *, actor: Any) -> Claim:
    """An official approves an apply-mode claim: the budget is reserved and the payment
    queued exactly as for a claim paid without review."""
    with transaction.atomic():
        claim = _claim_for_review(claim_id, actor)
        ensure_in_business(claim.enterprise)
        move_claim(claim, ClaimStatus.ELIGIBLE, actor, reviewed_by=actor,
                   reviewed_at=timezone.now())  # fmt: skip
        book_paying([claim])
    return Claim.objects.get(pk=claim_id)


def reject_claim(claim_id: int, *, actor: Any, reason: str) -> Claim:
    """An official refuses an apply-mode claim; the reason is stored and shown to the
    enterprise, so it must be given."""
    reason = (reason or "").strip()
    if not reason:
        raise ClaimRefused(_("Give the reason for the rejection: the enterprise will see it."))
    if len(reason) > REVIEW_NOTE_MAX:
        raise ClaimRefused(_("The reason may be at most %(max)d characters long.")
                           % {"max": REVIEW_NOTE_MAX})  # fmt: skip
    with transaction.atomic():
        claim = _claim_for_review(claim_id, actor)
        return move_claim(claim, ClaimStatus.REJECTED, actor, review_note=reason,
                          reviewed_by=actor, reviewed_at=timezone.now())  # fmt: skip


def confirm_offer(claim_id: int, *, actor: Any) -> Claim:
    """One click: the enterprise accepts an offer found by a batch run; the payment
    follows, as for any claim found eligible."""
    with transaction.atomic():
        claim = locked_claim(claim_id)
        if claim.person_id:
            raise ClaimRefused(_("An employee's offer is confirmed on the enterprise's roster "
                                 "of the policy."))  # fmt: skip
        if not can_edit_enterprise(actor, claim.enterprise):
            raise ClaimRefused(_("Only the enterprise's own members may confirm its offers."))
        if claim.status != ClaimStatus.OFFERED:
            return claim
        ensure_in_business(claim.enterprise)  # revoked since the offer: nothing is paid
        move_claim(claim, ClaimStatus.ELIGIBLE, actor)
        book_paying([claim])
    return Claim.objects.get(pk=claim_id)


def can_retry_payment(user: Any, claim: Claim) -> bool:
    """An official of the policy's department (for the enterprise's district when
    district-scoped), never a member of the enterprise, may try a failed payment again."""
    if not official_covers(user, department_id=claim.policy.department_id,
                           district_id=claim.enterprise.district_id):  # fmt: skip
        return False
    return not is_member(user, claim.enterprise_id)


def retry_payment(claim_id: int, *, actor: Any, reason: str) -> Claim:
    """An official tries a failed payment again, by hand, saying why (audited): with the
    claim's own key, so a payment the treasury did make after all is never made twice."""
    reason = (reason or "").strip()
    if not reason:
        raise ClaimRefused(_("Say why the payment is tried again: the reason is kept."))
    if len(reason) > REVIEW_NOTE_MAX:
        raise ClaimRefused(_("The reason may be at most %(max)d characters long.")
                           % {"max": REVIEW_NOTE_MAX})  # fmt: skip
    claim = Claim.objects.select_related("policy", "enterprise").get(pk=claim_id)
    if not can_retry_payment(actor, claim):
        raise ReviewNotAllowed(_("Only an official of the policy's department, for the "
                                 "enterprise's district, may retry this payment."))  # fmt: skip
    if claim.status != ClaimStatus.PAYMENT_FAILED:
        raise ClaimConflict(_("Only a failed payment can be tried again (the claim is now: "
                              "%(status)s).") % {"status": claim.get_status_display()})  # fmt: skip
    ensure_in_business(claim.enterprise)
    if not claim.person_id and not claim.enterprise.bank_account:
        raise ClaimConflict(_("The enterprise has no bank account on record yet. The payment "
                              "is tried again by itself as soon as it adds one."))  # fmt: skip
    if not retry_payments([claim.pk], actor=actor, reason=reason):
        claim.refresh_from_db()
        raise ClaimConflict(_("This payment was tried again meanwhile (the claim is now: "
                              "%(status)s).") % {"status": claim.get_status_display()})  # fmt: skip
    return Claim.objects.get(pk=claim_id)
