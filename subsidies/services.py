"""Claims from submission to payment. Every status change: allowed transition checked, row
locked, audit event written, one transaction. Slow work (department data, the treasury)
happens between transactions, never while holding a lock."""

from __future__ import annotations

import itertools
import json
import os
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from enterprises.models import Enterprise
from enterprises.selectors import can_edit_enterprise
from policies.evaluation import evaluate_for_enterprise, evaluate_many, is_targeted
from policies.models import DeliveryMode, Policy, PolicyVersion, VersionStatus
from qinqing.audit.services import record_event, record_events, record_rows
from qinqing.iterables import chunked
from qinqing.notifications.models import NotificationKind
from qinqing.notifications.services import notify
from qinqing.notifications.text import Message

from .events import claim_moved
from .gateway import GatewayError, OutcomeUnknown, PaymentOrder, gateway
from .models import (
    TRANSITIONS,
    Budget,
    Claim,
    ClaimStatus,
    Disbursement,
    DisbursementStatus,
    LedgerEntry,
    ReconciliationRun,
    budget_account,
    enterprise_account,
)
from .notifications import CLAIM_NOTICES, notify_claim
from .selectors import can_review_claim

STALLED_PAYMENT_AFTER = timedelta(minutes=5)
RECHECK_BACKOFF = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15),
                   timedelta(hours=1), timedelta(hours=4)]  # fmt: skip


def fault_point(name: str) -> None:
    """Reliability tests kill a worker process exactly here (QINQING_FAULT=<name>)."""
    if name == settings.QINQING_FAULT:
        os._exit(137)  # as abrupt as SIGKILL: no cleanup, no commit


class ClaimRefused(Exception):
    """A claim that cannot be made: the message says why, for the person asking."""


class ReviewNotAllowed(ClaimRefused):
    """The person may not review this claim (not an official of its department and area)."""


class ClaimConflict(ClaimRefused):
    """The claim, or its enterprise, is not in a state that allows this (HTTP 409)."""


REVIEW_NOTE_MAX = 500


def ensure_in_business(enterprise: Enterprise) -> None:
    """Revoked or deregistered enterprises receive nothing: refused before anything is
    written."""
    if not enterprise.is_in_business:
        raise ClaimConflict(
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


def _locked(claim_id: int) -> Claim:
    """The claim, row-locked, with what its audit label and checks read (one query; only
    the claim's own row is locked)."""
    return (
        Claim.objects.select_for_update(of=("self",))
        .select_related("policy", "enterprise", "version")
        .defer(*_HEAVY)
        .get(pk=claim_id)
    )


# What a claim's state changes never read: long policy texts, the version's rules, the
# stored decision. Loading them under every lock cost more than the rest of the query.
_HEAVY = ("decision", "facts", "policy__summary_zh", "policy__summary_en",
          "policy__legal_basis_zh", "policy__legal_basis_en", "version__criteria",
          "version__benefit", "version__parameters", "version__notes")  # fmt: skip


def _move(claim: Claim, to: str, actor: Any = None, *, via: str | None = None,
          **changes: Any) -> Claim:  # fmt: skip
    """The one place a claim's status changes. `via` passes through an intermediate status
    in the same write (eligible on the way to paying): both steps are checked against the
    table and both are in the audit trail."""
    path = [claim.status, *([via] if via else []), to]
    for here, there in itertools.pairwise(path):
        if there not in TRANSITIONS[here]:
            raise ValueError(f"claim {claim.pk}: {here} cannot become {there}")
    claim.status = to
    for name, value in changes.items():
        setattr(claim, name, value)
    claim.save(update_fields=["status", "updated_at", *changes])
    if any(isinstance(value, F) for value in changes.values()):
        claim.refresh_from_db(fields=[n for n, v in changes.items() if isinstance(v, F)])
    record_events(actor=actor, events=[
        (f"claim.{there}", claim, {"status": here}, {"status": there})
        for here, there in itertools.pairwise(path)
    ])  # fmt: skip
    claim_moved(claim, to)  # the outbox row for partners (paid, ineligible), same transaction
    if to in CLAIM_NOTICES:  # the enterprise's members hear of it once it is committed
        transaction.on_commit(lambda: notify_claim(claim.pk, CLAIM_NOTICES[to]), robust=True)
    return claim


def submit_claim(*, enterprise: Enterprise, policy: Policy, actor: Any, origin: str = "enterprise",
                 day: date | None = None) -> tuple[Claim, bool]:  # fmt: skip
    """One claim per enterprise, policy and period: a second submission returns the first."""
    day = day or timezone.localdate()
    if origin == "enterprise" and not can_edit_enterprise(actor, enterprise):
        raise ClaimRefused(_("Only the enterprise's own members may claim for it."))
    ensure_in_business(enterprise)
    version = open_version(policy, day)
    if version is None:
        raise ClaimRefused(_("This policy is not open for claims today."))
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
            transaction.on_commit(lambda: _enqueue_check(claim.pk), robust=True)
    except IntegrityError:
        return Claim.objects.get(enterprise=enterprise, policy=policy, period=period), False
    return claim, True


def _enqueue_check(claim_id: int) -> None:
    from .checkqueue import enqueue

    enqueue(claim_id)  # with the claims waiting at the same moment (checkqueue.py)


def _enqueue_payment(claim_id: int) -> None:
    from .tasks import pay_claim

    pay_claim.delay(claim_id)


def check(claim_id: int) -> Claim:
    """Decide a claim: idempotent, safe to run twice or concurrently (a duplicate delivery
    may ask the departments twice; only the first decision is kept)."""
    check_many([claim_id])
    return Claim.objects.get(pk=claim_id)


# --- Deciding and paying the claims waiting at one moment, together (issue #5's speed) ---
# A worker takes every claim waiting to be checked when it looks (up to CHECK_BATCH; no
# waiting for more: one claim alone is decided at once) and pays the department calls,
# the statements and the treasury round trip once for all of them, instead of some thirty
# ORM statements, three cache round trips and a treasury call per claim. Each claim's
# outcome, audit events, ledger legs, outbox event and notification are the ones it would
# get alone, and every guarantee of the one-claim path holds: its row is locked while it
# changes, the budget reservation is one conditional UPDATE, the disbursement key is the
# claim's, and an unknown payment outcome is settled by asking about that key.
CHECK_BATCH = 32


def check_many(claim_ids: list[int]) -> None:
    """Decide these claims (and pay those found eligible). Idempotent like check(): a claim
    no longer being checked is left as it is."""
    claims = list(Claim.objects.select_related("policy", "enterprise", "version")
                  .defer("decision", "facts").filter(pk__in=claim_ids).order_by("pk"))  # fmt: skip
    deciding: list[Claim] = []
    for claim in claims:
        claim.version.policy = claim.policy  # the same row: spare the evaluation a query
        if claim.status in (ClaimStatus.SUBMITTED, ClaimStatus.AWAITING_DATA):
            with transaction.atomic():
                locked = _locked(claim.pk)
                if locked.status not in (ClaimStatus.SUBMITTED, ClaimStatus.AWAITING_DATA):
                    continue
                _move(locked, ClaimStatus.CHECKING, checks=F("checks") + 1)
        elif claim.status != ClaimStatus.CHECKING:
            continue
        deciding.append(claim)
    if not deciding:
        return
    decisions: dict[int, Any] = {}
    by_version: dict[int, list[Claim]] = {}
    for claim in deciding:
        by_version.setdefault(claim.version_id, []).append(claim)
    for group in by_version.values():
        version = group[0].version
        if len(group) == 1:  # one claim: the one-enterprise evaluation, as it always was
            claim = group[0]
            decisions[claim.pk] = evaluate_for_enterprise(
                version, claim.enterprise,
                purpose=f"subsidies.claim:{claim.pk} eligibility check for {claim.policy.code}",
            )  # fmt: skip
            continue
        made = evaluate_many(version, [
            (claim.enterprise,
             f"subsidies.claim:{claim.pk} eligibility check for {claim.policy.code}")
            for claim in group
        ])  # fmt: skip
        decisions.update({claim.pk: decision for claim, decision in zip(group, made, strict=True)})
    sent: list[Disbursement] = []
    with transaction.atomic():
        # Locked in id order, as confirm_many() locks them: two batches never deadlock.
        locked = list(Claim.objects.select_for_update(of=("self",))
                      .select_related("policy", "enterprise", "version").defer(*_HEAVY)
                      .filter(pk__in=list(decisions)).order_by("pk"))  # fmt: skip
        eligible: list[Claim] = []
        for claim in locked:
            if claim.status != ClaimStatus.CHECKING:
                continue  # decided meanwhile by a duplicate delivery: its decision stands
            decision = decisions[claim.pk]
            facts = ({name: fact.as_json() for name, fact in decision.facts.facts.items()}
                     if decision.facts else {})  # fmt: skip
            amount = str(decision.amount) if decision.amount is not None else None
            record = {"status": decision.status, "criteria": decision.explanation(),
                      "amount": amount}  # fmt: skip
            if decision.status == "unknown":
                delay = RECHECK_BACKOFF[min(claim.checks - 1, len(RECHECK_BACKOFF) - 1)]
                _move(claim, ClaimStatus.AWAITING_DATA, decision=record, facts=facts,
                      next_check_at=timezone.now() + delay)  # fmt: skip
            elif decision.status != "eligible":
                _move(claim, ClaimStatus.INELIGIBLE, decision=record, facts=facts)
            elif claim.policy.delivery_mode == DeliveryMode.APPLY:
                # Apply-mode policies: an official decides before any money moves.
                _move(claim, ClaimStatus.IN_REVIEW, decision=record, facts=facts,
                      amount=decision.amount)  # fmt: skip
            else:
                claim.decision, claim.facts, claim.amount = record, facts, decision.amount
                eligible.append(claim)
        if len(eligible) == 1:
            claim = _reserve_and_pay(eligible[0], pay_inline=True,
                                     decided=("decision", "facts", "amount"))  # fmt: skip
            if claim.status == ClaimStatus.PAYING:
                sent.append(claim.disbursement)
        elif eligible:
            sent = _reserve_and_pay_many(eligible)
    for disbursement in [d for d in sent if d.status != DisbursementStatus.SENT]:
        pay(disbursement.claim_id)  # no bank account: recorded as failed under its lock
    sent = [d for d in sent if d.status == DisbursementStatus.SENT]
    if len(sent) == 1:
        # The worker that decided also pays: one task less per claim. Should it die here,
        # the disbursement stays "sent" and resume_stalled_payments() settles it by its key.
        try:
            send_payment(sent[0])
        except GatewayError:
            _enqueue_payment(sent[0].claim_id)  # the payment task retries with back-off
    elif sent:
        send_payments(sent)


def _reserve_and_pay_many(claims: list[Claim]) -> list[Disbursement]:
    """_reserve_and_pay(pay_inline=True) for several eligible claims being checked, in the
    caller's transaction, with a handful of statements: their disbursements in one
    INSERT, the claims in one UPDATE, the audit events in one INSERT, and the budget
    reserved for all of them in one conditional UPDATE per policy version, taken last.
    Should a version's budget not cover them all, the claims take it one by one in id
    order, exactly as lone claims would: the last yuan goes to exactly one claim.
    Returns the disbursements made (sent, unless there is no bank account to send to)."""
    attempt = transaction.savepoint()
    paying = _book_paying(claims)
    short = [version_id for version_id, group in _by_version(claims).items()
             if not reserve_budget(group[0].version, sum(c.amount for c in group))]  # fmt: skip
    if not short:
        transaction.savepoint_commit(attempt)
        return paying
    # Not enough for everyone in some version: undo everything (the other versions'
    # reservations too), and let the claims take the budget one by one, in id order.
    transaction.savepoint_rollback(attempt)
    funded: list[Claim] = []
    for claim in claims:
        claim.status = ClaimStatus.CHECKING
        claim._state.fields_cache.pop("disbursement", None)  # the rolled-back row
        if reserve_budget(claim.version, claim.amount):
            funded.append(claim)
        else:
            _move(claim, ClaimStatus.BUDGET_EXHAUSTED, via=ClaimStatus.ELIGIBLE,
                  decision=claim.decision, facts=claim.facts, amount=claim.amount)  # fmt: skip
    # Their reservations are taken: book the funded claims without reserving again.
    return _book_paying(funded) if funded else []


def _by_version(claims: list[Claim]) -> dict[int, list[Claim]]:
    groups: dict[int, list[Claim]] = {}
    for claim in claims:
        groups.setdefault(claim.version_id, []).append(claim)
    return groups


def _book_paying(claims: list[Claim]) -> list[Disbursement]:
    """Checking → (eligible) → paying for these claims, with their decisions, and their
    disbursements (sent, when there is an account to send to), in bulk."""
    now = timezone.now()
    disbursements = [
        Disbursement(claim=claim, idempotency_key=disbursement_key(claim.pk),
                     amount=claim.amount, bank_name=claim.enterprise.bank_name,
                     bank_account=claim.enterprise.bank_account,
                     **({"status": DisbursementStatus.SENT, "attempts": 1}
                        if claim.enterprise.bank_account else {}))
        for claim in claims
    ]  # fmt: skip
    Disbursement.objects.bulk_create(disbursements)
    _set_paying(claims, now)
    record_rows(actor=None, model=Claim, events=[
        (f"claim.{there}", claim.pk, str(claim), {"status": here}, {"status": there})
        for claim in claims
        for here, there in ((ClaimStatus.CHECKING, ClaimStatus.ELIGIBLE),
                            (ClaimStatus.ELIGIBLE, ClaimStatus.PAYING))
    ])  # fmt: skip
    for claim in claims:
        claim.status, claim.updated_at = ClaimStatus.PAYING, now
    return disbursements


def _set_paying(claims: list[Claim], now) -> None:
    """Each claim its own decision, facts and amount, in one statement on PostgreSQL."""
    for here, there in ((ClaimStatus.CHECKING, ClaimStatus.ELIGIBLE),
                        (ClaimStatus.ELIGIBLE, ClaimStatus.PAYING)):  # fmt: skip
        if there not in TRANSITIONS[here]:  # the path taken in bulk, checked as _move does
            raise ValueError(f"claims: {here} cannot become {there}")
    if connection.vendor != "postgresql":
        for claim in claims:
            Claim.objects.filter(pk=claim.pk).update(
                status=ClaimStatus.PAYING, decision=claim.decision, facts=claim.facts,
                amount=claim.amount, updated_at=now,
            )  # fmt: skip
        return
    # One JSON document for all the rows: the driver quotes one string, where arrays of
    # JSON texts cost it a regular-expression pass per quote (milliseconds per claim).
    rows = json.dumps([{"id": c.pk, "decision": c.decision, "facts": c.facts,
                        "amount": str(c.amount)} for c in claims])  # fmt: skip
    table = Claim._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS c SET status = %s, updated_at = %s, "  # noqa: S608
            "decision = v.decision, facts = v.facts, amount = v.amount "
            "FROM jsonb_to_recordset(%s::jsonb) AS v(id bigint, decision jsonb, facts jsonb, "
            "amount numeric) WHERE c.id = v.id",
            [ClaimStatus.PAYING, now, rows],
        )


def send_payments(disbursements: list[Disbursement]) -> None:
    """send_payment() for several disbursements marked as sent, as one payment file: the
    treasury pays each key at most once, and what it confirms is booked in one
    transaction (batch.confirm_many). A lost answer is settled by asking about the same
    keys; an unreachable treasury leaves each payment to the payment task, as alone."""
    from .batch import confirm_many

    treasury = gateway()
    orders = [PaymentOrder(d.idempotency_key, d.amount, d.bank_account) for d in disbursements]
    try:
        answers = {result.key: result for result in treasury.pay_many(orders)}
        fault_point("after_treasury_call")
    except OutcomeUnknown:
        try:
            answers = treasury.status_many([order.key for order in orders])
        except GatewayError:
            return  # left "sent": resume_stalled_payments() asks again by the same keys
    except GatewayError as error:
        Disbursement.objects.filter(pk__in=[d.pk for d in disbursements]).update(
            status=DisbursementStatus.PENDING, last_error=str(error)[:300]
        )
        for disbursement in disbursements:
            _enqueue_payment(disbursement.claim_id)  # the payment task retries with back-off
        return
    confirmed = {d.pk: answers[d.idempotency_key].reference for d in disbursements
                 if answers.get(d.idempotency_key) is not None
                 and answers[d.idempotency_key].status == "confirmed"}  # fmt: skip
    confirm_many(confirmed)
    for d in disbursements:
        answer = answers.get(d.idempotency_key)
        if answer is not None and answer.status == "refused":
            payment_failed(d.claim_id, "a payment with this key exists for another amount")
    # Not confirmed and not refused (an unknown outcome the treasury has no record of):
    # left "sent" for resume_stalled_payments(), which asks again, never pays anew.


def reserve_budget(version: PolicyVersion, amount: Decimal) -> bool:
    """Take `amount` from the version's budget if it is all there. One conditional UPDATE:
    the row lock it takes serialises racing claims, so the last yuan goes to exactly one."""

    def take() -> bool:
        return bool(Budget.objects.filter(version=version, reserved__lte=F("total") - amount)
                    .update(reserved=F("reserved") + amount))  # fmt: skip

    if take():
        return True
    # The version's first claim opens its budget account (racing first claims: one row).
    Budget.objects.get_or_create(version=version, defaults={"total": version.budget})
    return take()


def _reserve_and_pay(claim: Claim, *, pay_inline: bool = False,
                     decided: tuple[str, ...] = ()) -> Claim:  # fmt: skip
    """In the caller's transaction: reserve the budget, create the disbursement with its
    deterministic key. The payment follows after commit: by a task, or (`pay_inline`) by
    the caller itself, which then owns the disbursement already marked as sent.
    A claim still being checked passes through "eligible" in the same write, with the
    fields named in `decided` (the decision just made)."""
    via = None if claim.status == ClaimStatus.ELIGIBLE else ClaimStatus.ELIGIBLE
    decision = {name: getattr(claim, name) for name in decided}
    status_before = claim.status
    # The budget row is every claim's meeting point: take it last, just before the
    # commit, so it is held for one statement instead of the whole transaction.
    attempt = transaction.savepoint()
    enterprise = claim.enterprise
    Disbursement.objects.create(
        claim=claim, idempotency_key=disbursement_key(claim.pk), amount=claim.amount,
        bank_name=enterprise.bank_name, bank_account=enterprise.bank_account,
        **({"status": DisbursementStatus.SENT, "attempts": 1}
           if pay_inline and enterprise.bank_account else {}),
    )  # fmt: skip
    _move(claim, ClaimStatus.PAYING, via=via, **decision)
    if not reserve_budget(claim.version, claim.amount):
        transaction.savepoint_rollback(attempt)
        claim.status = status_before
        claim._state.fields_cache.pop("disbursement", None)  # the rolled-back row
        return _move(claim, ClaimStatus.BUDGET_EXHAUSTED, via=via, **decision)
    transaction.savepoint_commit(attempt)
    if not pay_inline:
        # Robust: a payment never queued (broker down) is resumed by resume_stalled_payments().
        transaction.on_commit(lambda: _enqueue_payment(claim.pk), robust=True)
    return claim


def disbursement_key(claim_id: int) -> str:
    return f"qinqing-claim-{claim_id}"


def pay(claim_id: int) -> Claim:
    """Send the payment, or find out what happened to it. Never pays twice: the key is the
    claim's, and an unknown outcome is settled by asking about that key."""
    with transaction.atomic():
        claim = _locked(claim_id)
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
    return send_payment(disbursement)


def send_payment(disbursement: Disbursement) -> Claim:
    """Ask the treasury to pay a disbursement marked as sent; confirm what it answers."""
    claim_id = disbursement.claim_id
    if not disbursement.bank_account:
        return pay(claim_id)  # records the failure under the claim's lock
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
    return confirm(disbursement.pk, result.reference, claim_id=claim_id)


def confirm(disbursement_id: int, reference: str, *, claim_id: int | None = None) -> Claim:
    """The treasury confirmed: paid, once, with its ledger entries, in one transaction."""
    if claim_id is None:
        claim_id = Disbursement.objects.values_list("claim_id", flat=True).get(pk=disbursement_id)
    with transaction.atomic():
        # Claim first, then its disbursement: the order every service locks them in.
        claim = _locked(claim_id)
        disbursement = Disbursement.objects.select_for_update().get(pk=disbursement_id)
        if disbursement.status == DisbursementStatus.CONFIRMED:
            return claim
        disbursement.status = DisbursementStatus.CONFIRMED
        disbursement.reference = reference
        disbursement.confirmed_at = timezone.now()
        disbursement.save(update_fields=["status", "reference", "confirmed_at"])
        LedgerEntry.objects.bulk_create(ledger_legs(
            key=disbursement.idempotency_key, amount=disbursement.amount, claim_id=claim.pk,
            policy_code=claim.policy.code, version_number=claim.version.number,
            uscc=claim.enterprise.uscc,
        ))  # fmt: skip
        return _move(claim, ClaimStatus.PAID)


def ledger_legs(*, key: str, amount: Decimal, claim_id: int, policy_code: str,
                version_number: int, uscc: str) -> list[LedgerEntry]:  # fmt: skip
    """A payment's double entry: the budget account pays, the enterprise's receives."""
    return [
        LedgerEntry(transaction=key, claim_id=claim_id, debit=amount,
                    account=budget_account(policy_code, version_number)),
        LedgerEntry(transaction=key, claim_id=claim_id, credit=amount,
                    account=enterprise_account(uscc)),
    ]  # fmt: skip


def payment_failed(claim_id: int, error: str) -> Claim:
    with transaction.atomic():
        claim = _locked(claim_id)
        if claim.status != ClaimStatus.PAYING:
            return claim
        Disbursement.objects.filter(claim=claim).update(status=DisbursementStatus.FAILED,
                                                        last_error=error[:300])  # fmt: skip
        return _move(claim, ClaimStatus.PAYMENT_FAILED)


def _claim_for_review(claim_id: int, actor: Any) -> Claim:
    """The claim, locked, after checking that `actor` may review it and that it waits for
    a review. Runs inside the caller's transaction."""
    claim = _locked(claim_id)
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
        _move(claim, ClaimStatus.ELIGIBLE, actor, reviewed_by=actor,
              reviewed_at=timezone.now())  # fmt: skip
        return _reserve_and_pay(claim)


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
        return _move(claim, ClaimStatus.REJECTED, actor, review_note=reason,
                     reviewed_by=actor, reviewed_at=timezone.now())  # fmt: skip


RECONCILE_SLICE = 5000


def reconcile(*, triggered_by: Any = None) -> ReconciliationRun:
    """Settle payments whose answer was lost, and report any mismatch between the
    disbursements, the ledger and the treasury's records. Every run is stored (started
    first, so a run that dies midway shows as unfinished)."""
    run = ReconciliationRun.objects.create(
        triggered_by=triggered_by if getattr(triggered_by, "is_authenticated", False) else None
    )
    problems: list[str] = []
    checked: set[int] = set()
    settled = 0
    treasury = gateway()
    for disbursement in Disbursement.objects.filter(status=DisbursementStatus.SENT):
        checked.add(disbursement.pk)
        result = treasury.status(key=disbursement.idempotency_key)
        if result.status == "confirmed":
            confirm(disbursement.pk, result.reference)
            settled += 1
    confirmed = (Disbursement.objects.filter(status=DisbursementStatus.CONFIRMED)
                 .order_by("pk").values_list("pk", "idempotency_key", "amount"))  # fmt: skip
    # A batch run leaves hundreds of thousands of payments: compare them a slice at a
    # time, with one grouped ledger query and one treasury question per slice.
    for rows in chunked(confirmed.iterator(chunk_size=RECONCILE_SLICE), RECONCILE_SLICE):
        keys = [key for _pk, key, _amount in rows]
        legs = {row["transaction"]: (row["debit"], row["credit"]) for row in
                LedgerEntry.objects.filter(transaction__in=keys).values("transaction")
                .annotate(debit=Sum("debit"), credit=Sum("credit"))}  # fmt: skip
        books = treasury.status_many(keys)
        for pk, key, amount in rows:
            checked.add(pk)
            debit, credit = legs.get(key, (Decimal(0), Decimal(0)))
            if not (debit == credit == amount):
                problems.append(f"{key}: ledger {debit}/{credit} ≠ paid {amount}")
            if books[key].status != "confirmed":
                problems.append(f"{key}: not in the treasury's records")
    run.finished_at = timezone.now()
    run.checked = len(checked)
    run.settled = settled
    run.problems = problems
    run.save(update_fields=["finished_at", "checked", "settled", "problems"])
    record_event(actor=triggered_by, action="reconciliation.run", obj=run,
                 after={"checked": run.checked, "settled": settled,
                        "problems": len(problems)})  # fmt: skip
    if problems:
        _notify_mismatches(run)
    return run


def _notify_mismatches(run: ReconciliationRun) -> None:
    """Auditors hear of every run that found a mismatch (officials see it on the report)."""
    auditors = User.objects.filter(role=Role.AUDITOR, is_active=True)
    count = len(run.problems)
    notify(
        auditors, NotificationKind.RECONCILIATION_MISMATCH,
        Message(gettext_lazy("Payment reconciliation found {count} mismatch(es)"), count=count),
        Message(gettext_lazy("The reconciliation of {started} found disbursements, ledger and "
                             "treasury records that do not agree. The report lists each one."),
                started=f"{timezone.localtime(run.started_at):%Y-%m-%d %H:%M}"),
        "/claims/reconciliation/",
    )  # fmt: skip


def resume_stalled_payments(now=None) -> list[int]:
    """Payments a worker left unfinished (killed, or its task lost with Redis): a "sent"
    disbursement is settled by asking the treasury about its key; one never sent, or
    unknown to the treasury, is queued again, with the same key. Returns claims queued."""
    now = now or timezone.now()
    stalled = Disbursement.objects.filter(
        claim__status=ClaimStatus.PAYING,
        status__in=[DisbursementStatus.PENDING, DisbursementStatus.SENT],
        created_at__lt=now - STALLED_PAYMENT_AFTER,
    )
    treasury = gateway()
    queued = []
    for disbursement in stalled:
        if disbursement.status == DisbursementStatus.SENT:
            answer = treasury.status(key=disbursement.idempotency_key)
            if answer.status == "confirmed":
                confirm(disbursement.pk, answer.reference)
                continue
        queued.append(disbursement.claim_id)
        transaction.on_commit(partial(_enqueue_payment, disbursement.claim_id), robust=True)
    return queued


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
