"""Claims from submission to payment. Every status change: allowed transition checked, row
locked, audit event written, one transaction. Slow work (department data, the treasury)
happens between transactions, never while holding a lock."""

from __future__ import annotations

import os
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from enterprises.models import Enterprise
from enterprises.selectors import can_edit_enterprise
from policies.evaluation import evaluate_for_enterprise, is_targeted
from policies.models import Policy, PolicyVersion, VersionStatus
from qinqing.audit.services import record_event

from .gateway import GatewayError, OutcomeUnknown, gateway
from .models import (
    TRANSITIONS,
    Budget,
    Claim,
    ClaimStatus,
    Disbursement,
    DisbursementStatus,
    LedgerEntry,
)

RECHECK_BACKOFF = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15),
                   timedelta(hours=1), timedelta(hours=4)]  # fmt: skip


def fault_point(name: str) -> None:
    """Reliability tests kill a worker process exactly here (QINQING_FAULT=<name>)."""
    if name == settings.QINQING_FAULT:
        os._exit(137)  # as abrupt as SIGKILL: no cleanup, no commit


class ClaimRefused(Exception):
    """A claim that cannot be made: the message says why, for the person asking."""


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


def _move(claim: Claim, to: str, actor: Any = None, **changes: Any) -> Claim:
    if to not in TRANSITIONS[claim.status]:
        raise ValueError(f"claim {claim.pk}: {claim.status} cannot become {to}")
    before = claim.status
    claim.status = to
    for name, value in changes.items():
        setattr(claim, name, value)
    claim.save()
    record_event(actor=actor, action=f"claim.{to}", obj=claim,
                 before={"status": before}, after={"status": to})  # fmt: skip
    return claim


def submit_claim(*, enterprise: Enterprise, policy: Policy, actor: Any, origin: str = "enterprise",
                 day: date | None = None) -> tuple[Claim, bool]:  # fmt: skip
    """One claim per enterprise, policy and period: a second submission returns the first."""
    day = day or timezone.localdate()
    if origin == "enterprise" and not can_edit_enterprise(actor, enterprise):
        raise ClaimRefused(_("Only the enterprise's own members may claim for it."))
    version = open_version(policy, day)
    if version is None:
        raise ClaimRefused(_("This policy is not open for claims today."))
    if not is_targeted(policy, enterprise):
        raise ClaimRefused(_("This policy is not for your district or industry."))
    period = period_key(version, day)
    try:
        with transaction.atomic():
            claim = Claim.objects.create(
                enterprise=enterprise, policy=policy, version=version, period=period,
                submitted_by=actor if getattr(actor, "is_authenticated", False) else None,
                origin=origin,
            )  # fmt: skip
            record_event(actor=actor, action="claim.submitted", obj=claim,
                         after={"policy": policy.code, "period": period})  # fmt: skip
            transaction.on_commit(lambda: _enqueue_check(claim.pk))
    except IntegrityError:
        return Claim.objects.get(enterprise=enterprise, policy=policy, period=period), False
    return claim, True


def _enqueue_check(claim_id: int) -> None:
    from .tasks import check_claim

    check_claim.delay(claim_id)


def _enqueue_payment(claim_id: int) -> None:
    from .tasks import pay_claim

    pay_claim.delay(claim_id)


def check(claim_id: int) -> Claim:
    """Decide a claim: idempotent, safe to run twice or concurrently."""
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim_id)
        if claim.status not in (ClaimStatus.SUBMITTED, ClaimStatus.AWAITING_DATA):
            return claim
        _move(claim, ClaimStatus.CHECKING, checks=F("checks") + 1)
    claim = Claim.objects.select_related("enterprise", "version__policy").get(pk=claim_id)
    decision = evaluate_for_enterprise(
        claim.version, claim.enterprise,
        purpose=f"subsidies.claim:{claim.pk} eligibility check for {claim.policy.code}",
    )  # fmt: skip
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim_id)
        if claim.status != ClaimStatus.CHECKING:
            return claim
        facts = ({name: fact.as_json() for name, fact in decision.facts.facts.items()}
                 if decision.facts else {})  # fmt: skip
        amount = str(decision.amount) if decision.amount is not None else None
        record = {"status": decision.status, "criteria": decision.explanation(), "amount": amount}
        if decision.status == "unknown":
            delay = RECHECK_BACKOFF[min(claim.checks - 1, len(RECHECK_BACKOFF) - 1)]
            return _move(claim, ClaimStatus.AWAITING_DATA, decision=record, facts=facts,
                         next_check_at=timezone.now() + delay)  # fmt: skip
        if decision.status != "eligible":
            return _move(claim, ClaimStatus.INELIGIBLE, decision=record, facts=facts)
        _move(claim, ClaimStatus.ELIGIBLE, decision=record, facts=facts, amount=decision.amount)
        return _reserve_and_pay(claim)


def _reserve_and_pay(claim: Claim) -> Claim:
    """In the caller's transaction: reserve the budget (the last yuan goes to exactly one
    claim), create the disbursement with its deterministic key, pay after commit."""
    Budget.objects.get_or_create(version=claim.version, defaults={"total": claim.version.budget})
    budget = Budget.objects.select_for_update().get(version=claim.version)
    if budget.reserved + claim.amount > budget.total:
        return _move(claim, ClaimStatus.BUDGET_EXHAUSTED)
    budget.reserved += claim.amount
    budget.save(update_fields=["reserved"])
    enterprise = claim.enterprise
    Disbursement.objects.create(
        claim=claim, idempotency_key=f"qinqing-claim-{claim.pk}", amount=claim.amount,
        bank_name=enterprise.bank_name, bank_account=enterprise.bank_account,
    )  # fmt: skip
    _move(claim, ClaimStatus.PAYING)
    transaction.on_commit(lambda: _enqueue_payment(claim.pk))
    return claim


def pay(claim_id: int) -> Claim:
    """Send the payment, or find out what happened to it. Never pays twice: the key is the
    claim's, and an unknown outcome is settled by asking about that key."""
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim_id)
        if claim.status != ClaimStatus.PAYING:
            return claim
        disbursement = Disbursement.objects.select_for_update().get(claim=claim)
        if disbursement.status == DisbursementStatus.CONFIRMED:
            return claim
        if not disbursement.bank_account:
            disbursement.last_error = "no bank account on record"
            disbursement.status = DisbursementStatus.FAILED
            disbursement.save()
            return _move(claim, ClaimStatus.PAYMENT_FAILED)
        disbursement.status = DisbursementStatus.SENT
        disbursement.attempts += 1
        disbursement.save(update_fields=["status", "attempts"])
    treasury = gateway()
    try:
        result = treasury.pay(key=disbursement.idempotency_key, amount=disbursement.amount,
                              account=disbursement.bank_account)  # fmt: skip
        fault_point("after_treasury_call")
    except OutcomeUnknown:
        result = treasury.status(key=disbursement.idempotency_key)
        if result.status != "confirmed":
            return Claim.objects.get(pk=claim_id)  # reconciliation settles it later
    except GatewayError as error:
        with transaction.atomic():
            Disbursement.objects.filter(pk=disbursement.pk).update(
                status=DisbursementStatus.PENDING, last_error=str(error)[:300]
            )
        raise
    return confirm(disbursement.pk, result.reference)


def confirm(disbursement_id: int, reference: str) -> Claim:
    """The treasury confirmed: paid, once, with its ledger entries, in one transaction."""
    with transaction.atomic():
        disbursement = Disbursement.objects.select_for_update().get(pk=disbursement_id)
        claim = Claim.objects.select_for_update().get(pk=disbursement.claim_id)
        if disbursement.status == DisbursementStatus.CONFIRMED:
            return claim
        disbursement.status = DisbursementStatus.CONFIRMED
        disbursement.reference = reference
        disbursement.confirmed_at = timezone.now()
        disbursement.save()
        budget = Budget.objects.select_for_update().get(version_id=claim.version_id)
        budget.paid += disbursement.amount
        budget.save(update_fields=["paid"])
        LedgerEntry.objects.bulk_create([
            LedgerEntry(transaction=disbursement.idempotency_key, claim=claim,
                        account=f"budget:{claim.policy.code}:v{claim.version.number}",
                        debit=disbursement.amount),
            LedgerEntry(transaction=disbursement.idempotency_key, claim=claim,
                        account=f"enterprise:{claim.enterprise.uscc}",
                        credit=disbursement.amount),
        ])  # fmt: skip
        return _move(claim, ClaimStatus.PAID)


def payment_failed(claim_id: int, error: str) -> Claim:
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim_id)
        if claim.status != ClaimStatus.PAYING:
            return claim
        Disbursement.objects.filter(claim=claim).update(status=DisbursementStatus.FAILED,
                                                        last_error=error[:300])  # fmt: skip
        return _move(claim, ClaimStatus.PAYMENT_FAILED)


def reconcile() -> list[str]:
    """Settle payments whose answer was lost, and report any mismatch between the
    disbursements, the ledger and the treasury's records."""
    problems = []
    treasury = gateway()
    for disbursement in Disbursement.objects.filter(status=DisbursementStatus.SENT):
        result = treasury.status(key=disbursement.idempotency_key)
        if result.status == "confirmed":
            confirm(disbursement.pk, result.reference)
    for disbursement in Disbursement.objects.filter(status=DisbursementStatus.CONFIRMED):
        legs = LedgerEntry.objects.filter(transaction=disbursement.idempotency_key)
        debit = sum((leg.debit for leg in legs), Decimal(0))
        credit = sum((leg.credit for leg in legs), Decimal(0))
        if not (debit == credit == disbursement.amount):
            problems.append(f"{disbursement.idempotency_key}: ledger {debit}/{credit} "
                            f"≠ paid {disbursement.amount}")  # fmt: skip
        if treasury.status(key=disbursement.idempotency_key).status != "confirmed":
            problems.append(f"{disbursement.idempotency_key}: not in the treasury's records")
    return problems


def due_rechecks(now=None) -> list[int]:
    """Claims waiting for department data whose back-off has passed, and checks abandoned
    by a worker that died (checking for more than ten minutes)."""
    now = now or timezone.now()
    stuck = Claim.objects.filter(status=ClaimStatus.CHECKING,
                                 updated_at__lt=now - timedelta(minutes=10))  # fmt: skip
    for claim_id in stuck.values_list("pk", flat=True):
        with transaction.atomic():
            claim = Claim.objects.select_for_update().get(pk=claim_id)
            if claim.status == ClaimStatus.CHECKING:
                _move(claim, ClaimStatus.SUBMITTED)
    due = Claim.objects.filter(status__in=[ClaimStatus.AWAITING_DATA, ClaimStatus.SUBMITTED],
                               next_check_at__lte=now)  # fmt: skip
    resubmitted = Claim.objects.filter(status=ClaimStatus.SUBMITTED, next_check_at__isnull=True,
                                       updated_at__lt=now - timedelta(minutes=1))  # fmt: skip
    return sorted(
        set(due.values_list("pk", flat=True)) | set(resubmitted.values_list("pk", flat=True))
    )
