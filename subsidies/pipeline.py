"""The claim pipeline: facts fetched → decided → reserved → paid, set-based, for one claim
or many alike. A lone claim is the batch of one: the instant claim, the check batch
(the claims waiting at one moment, subsidies/checkqueue.py) and the review and offer
paths all go through the same statements.

A worker takes every claim waiting to be checked when it looks (up to CHECK_BATCH; no
waiting for more: one claim alone is decided at once) and pays the department calls, the
statements and the treasury round trip once for all of them. Each claim's outcome, audit
events, ledger legs, outbox event and notification are the ones it would get alone: its
row is locked while it changes, the budget reservation is one conditional UPDATE per
policy version, the disbursement key is the claim's, and an unknown payment outcome is
settled by asking about that key. Idempotent: a claim no longer being checked is left
as it is, so a duplicate delivery, or two workers racing, decide and pay it once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from datahub.normalise import to_json
from policies import evaluation
from policies.evaluation import Decision, evaluate_many
from policies.models import DeliveryMode
from qinqing.bulk import KeyedRead, any_of
from qinqing.queueing import queue, queue_on_commit

from .gateway import GatewayError
from .models import Claim, ClaimStatus, DisbursementStatus
from .moves import locked_claims, move_claims
from .payments import (
    PAY_TASK,
    Payment,
    disburse,
    is_payable,
    pay_claims,
    person_bank,
    reserve_budget,
    send,
)

CHECK_BATCH = 32
RECHECK_BACKOFF = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15),
                   timedelta(hours=1), timedelta(hours=4)]  # fmt: skip
WAITING = (ClaimStatus.SUBMITTED, ClaimStatus.AWAITING_DATA)


def check(claim_id: int) -> Claim:
    """Decide one claim (and pay it if eligible): the batch of one."""
    check_many([claim_id])
    return Claim.objects.get(pk=claim_id)


def check_many(claim_ids: list[int]) -> None:
    """Decide these claims (and pay those found eligible)."""
    deciding = _start_checking(claim_ids)
    if not deciding:
        return
    decisions = _decide(deciding)
    # A person found eligible is paid to their social security card's account: asked of
    # the hub now, before any row is locked (slow work never under a lock).
    banks = {claim.pk: person_bank(claim) for claim in deciding
             if claim.person_id and decisions[claim.pk].status == "eligible"}  # fmt: skip
    with transaction.atomic():
        disbursements = _record(decisions, banks, claims=deciding)
    sent = [d for d in disbursements if d.status == DisbursementStatus.SENT]
    unsent = [d.claim_id for d in disbursements if d.status != DisbursementStatus.SENT]
    if unsent:
        pay_claims(unsent)  # no bank account: recorded as failed under the claims' locks
    if sent:
        # The worker that decided also pays: one task less per claim. Should it die here,
        # the disbursements stay "sent" and resume_stalled_payments() settles them.
        try:
            send(sent)
        except GatewayError:
            for disbursement in sent:  # the payment task retries with back-off
                queue(PAY_TASK, disbursement.claim_id)


# The claims to check with what their decision reads (qinqing.bulk.KeyedRead: built once).
_TO_CHECK = KeyedRead(lambda keys: Claim.objects
                      .select_related("policy", "enterprise", "version", "person")
                      .defer("decision", "facts").filter(any_of("pk", keys))
                      .order_by("pk"))  # fmt: skip


def _start_checking(claim_ids: list[int]) -> list[Claim]:
    """The claims to decide: those being checked, and those waiting (submitted, or for
    department data), moved to checking together."""
    claims = _TO_CHECK.objects(claim_ids)
    waiting = [claim for claim in claims if claim.status in WAITING]
    moved: set[int] = set()
    if waiting:
        with transaction.atomic():
            moved = set(move_claims([c.pk for c in waiting], ClaimStatus.CHECKING,
                                    labels={c.pk: str(c) for c in waiting},
                                    checks=F("checks") + 1))  # fmt: skip
    return [claim for claim in claims
            if claim.status == ClaimStatus.CHECKING or claim.pk in moved]  # fmt: skip


def _decide(claims: list[Claim]) -> dict[int, Decision]:
    """Facts fetched and rules evaluated, one evaluation per policy version: every
    enterprise's department calls in flight together, each logged under its claim."""
    by_version: dict[int, list[Claim]] = {}
    for claim in claims:
        claim.version.policy = claim.policy  # the same row: spare the evaluation a query
        by_version.setdefault(claim.version_id, []).append(claim)
    decisions: dict[int, Decision] = {}
    for everyone in by_version.values():
        # A person's own claim (a version paying persons): the person's facts and their
        # employer's, through the hub, with the same explanation (policies.evaluation).
        for claim in (claim for claim in everyone if claim.person_id):
            decisions[claim.pk] = evaluation.evaluate_for_person(
                claim.version, claim.person,
                purpose=f"subsidies.claim:{claim.pk} eligibility check for {claim.policy.code}",
                requested_by=claim.submitted_by,
            )  # fmt: skip
        group = [claim for claim in everyone if not claim.person_id]
        if not group:
            continue
        made = evaluate_many(group[0].version, [
            (claim.enterprise,
             f"subsidies.claim:{claim.pk} eligibility check for {claim.policy.code}")
            for claim in group
        ])  # fmt: skip
        decisions.update({claim.pk: decision for claim, decision in zip(group, made, strict=True)})
    return decisions


def _record(decisions: dict[int, Decision],
            banks: dict[int, tuple[str, str]] | None = None, *,
            claims: list[Claim] | None = None) -> list[Payment]:  # fmt: skip
    """In the caller's transaction: each claim still being checked moves by its decision
    (a few statements for all of them); the eligible ones of policies paid without review
    are reserved and booked paying (a person's to the account in `banks`, read before).
    `claims`: the claims as read before the decision, with what they name: locked here
    and refreshed with what may have changed since (see _locked_again). Returns their
    disbursements."""
    banks = banks or {}
    now = timezone.now()
    outcomes: dict[str, dict[int, dict[str, Any]]] = {}
    eligible: list[Claim] = []
    labels: dict[int, str] = {}
    locked = ([(claim, claim.status) for claim in locked_claims(decisions)] if claims is None
              else _locked_again([c for c in claims if c.pk in decisions]))  # fmt: skip
    for claim, status in locked:
        if status != ClaimStatus.CHECKING:
            continue  # decided meanwhile by a duplicate delivery: its decision stands
        decision = decisions[claim.pk]
        labels[claim.pk] = str(claim)
        facts = ({name: _fact_json(fact) for name, fact in decision.facts.facts.items()}
                 if decision.facts else {})  # fmt: skip
        amount = str(decision.amount) if decision.amount is not None else None
        record = {"status": decision.status, "criteria": decision.explanation(),
                  "amount": amount}  # fmt: skip
        row: dict[str, Any] = {"decision": record, "facts": facts}
        if decision.status == "unknown":
            delay = RECHECK_BACKOFF[min(claim.checks - 1, len(RECHECK_BACKOFF) - 1)]
            outcomes.setdefault(ClaimStatus.AWAITING_DATA, {})[claim.pk] = {
                **row, "next_check_at": now + delay}  # fmt: skip
        elif decision.status != "eligible":
            outcomes.setdefault(ClaimStatus.INELIGIBLE, {})[claim.pk] = row
        elif not is_payable(decision.amount):
            # Eligible, but the formula gives nothing: ends here, never sent, never "paid".
            outcomes.setdefault(ClaimStatus.NOTHING_DUE, {})[claim.pk] = {
                **row, "amount": decision.amount}  # fmt: skip
        elif claim.policy.delivery_mode == DeliveryMode.APPLY:
            # Apply-mode policies: an official decides before any money moves.
            outcomes.setdefault(ClaimStatus.IN_REVIEW, {})[claim.pk] = {
                **row, "amount": decision.amount}  # fmt: skip
        else:
            claim.decision, claim.facts, claim.amount = record, facts, decision.amount
            if claim.pk in banks:
                claim.person_bank = banks[claim.pk]
            eligible.append(claim)
    for to, rows in outcomes.items():
        move_claims(list(rows), to, rows=rows, labels=labels)
    return book_paying(eligible, decided=True, sending=True)


# What _locked_again reads again under the claims' locks.
_AGAIN = ("pk", "status", "checks", "policy__delivery_mode", "enterprise__bank_name",
          "enterprise__bank_account")  # fmt: skip
_LOCKED_AGAIN = KeyedRead(lambda keys: Claim.objects.select_for_update(of=("self",))
                          .filter(any_of("pk", keys)).order_by("pk")
                          .values_list(*_AGAIN))  # fmt: skip


def _locked_again(claims: list[Claim]) -> list[tuple[Claim, str]]:
    """These claims, read before their decision, row-locked in id order (as locked_claims
    locks them), each with its status now; what else may have changed meanwhile is read
    again in the same statement (the checks, the policy's delivery mode, the enterprise's
    bank details). A lean statement (a few columns, no model objects) where locked_claims
    would load every claim, policy, version, enterprise and person again."""
    by_pk = {claim.pk: claim for claim in claims}
    found = []
    for pk, status, checks, mode, bank_name, bank_account in _LOCKED_AGAIN.rows(by_pk):
        claim = by_pk[pk]
        claim.checks, claim.policy.delivery_mode = checks, mode
        claim.enterprise.bank_name, claim.enterprise.bank_account = bank_name, bank_account
        found.append((claim, status))
    return found


def _fact_json(fact: Any) -> dict[str, Any]:
    """A fact as the claim keeps it: an enterprise's (datahub.fetching.facts.Fact.as_json), or a
    person's read through the hub (the same keys; a personal value, such as a card's
    account, is never kept with the claim)."""
    if hasattr(fact, "as_json"):
        return fact.as_json()
    personal = getattr(getattr(fact, "spec", None), "personal", False)
    return {"name": fact.name, "value": None if personal else to_json(fact.value),
            "known": fact.known, "reason": fact.reason, "department": fact.department,
            "period": "", "fetched_at": fact.fetched_at.isoformat() if fact.fetched_at else None,
            "from_cache": False}  # fmt: skip


def book_paying(claims: list[Claim], *, decided: bool = False,
                sending: bool = False) -> list[Payment]:  # fmt: skip
    """Reserve the budget for these eligible claims, locked by the caller, and book them
    paying with their disbursements, in the caller's transaction. `decided`: still being
    checked, they pass through "eligible" in the same write, with the decision just made
    (their `decision`, `facts` and `amount`). The budget rows are every claim's meeting
    point: taken last, one conditional UPDATE per version, so each is held for the rest
    of the transaction only. Should a version's budget not cover them all, the claims
    take it one by one in id order, exactly as lone claims would: the last yuan goes to
    exactly one claim, and the others end "budget exhausted". `sending`: the caller
    sends the payments itself after its commit; otherwise the payment task is queued."""
    nothing = [claim for claim in claims if not is_payable(claim.amount)]
    if nothing:
        # Eligible for nothing (zero or less): never reserved, never sent to the treasury.
        move_claims([c.pk for c in nothing], ClaimStatus.NOTHING_DUE,
                    rows=_decisions(nothing) if decided else None,
                    labels={c.pk: str(c) for c in nothing})  # fmt: skip
        claims = [claim for claim in claims if is_payable(claim.amount)]
    if not claims:
        return []
    attempt = transaction.savepoint()
    disbursements = _book(claims, decided=decided, sending=sending)
    by_version: dict[int, list[Claim]] = {}
    for claim in claims:
        by_version.setdefault(claim.version_id, []).append(claim)
    short = [version_id for version_id, group in by_version.items()
             if not reserve_budget(group[0].version, sum(c.amount for c in group))]  # fmt: skip
    if short:
        # Not enough for everyone in some version: undo everything (the other versions'
        # reservations too), and let the claims take the budget one by one, in id order.
        transaction.savepoint_rollback(attempt)
        funded = [claim for claim in claims if reserve_budget(claim.version, claim.amount)]
        exhausted = [claim for claim in claims if claim not in funded]
        move_claims([c.pk for c in exhausted], ClaimStatus.BUDGET_EXHAUSTED,
                    via=(ClaimStatus.ELIGIBLE,) if decided else (),
                    rows=_decisions(exhausted) if decided else None,
                    labels={c.pk: str(c) for c in exhausted})  # fmt: skip
        # Their reservations are taken: book the funded claims without reserving again.
        disbursements = _book(funded, decided=decided, sending=sending)
    else:
        transaction.savepoint_commit(attempt)
    if not sending:
        for disbursement in disbursements:
            queue_on_commit(PAY_TASK, disbursement.claim_id)
    return disbursements


def _book(claims: list[Claim], *, decided: bool, sending: bool) -> list[Payment]:
    if not claims:
        return []
    disbursements = disburse(claims, sending=sending)
    move_claims([c.pk for c in claims], ClaimStatus.PAYING,
                via=(ClaimStatus.ELIGIBLE,) if decided else (),
                rows=_decisions(claims) if decided else None,
                labels={c.pk: str(c) for c in claims})  # fmt: skip
    return disbursements


def _decisions(claims: list[Claim]) -> dict[int, dict[str, Any]]:
    return {c.pk: {"decision": c.decision, "facts": c.facts, "amount": c.amount} for c in claims}


def due_rechecks(now=None) -> list[int]:
    """Claims waiting for department data whose back-off has passed, and checks abandoned
    by a worker that died (checking for more than ten minutes): put back as submitted."""
    now = now or timezone.now()
    stuck = list(Claim.objects.filter(status=ClaimStatus.CHECKING,
                                      updated_at__lt=now - timedelta(minutes=10))
                 .values_list("pk", flat=True))  # fmt: skip
    if stuck:
        with transaction.atomic():
            move_claims(stuck, ClaimStatus.SUBMITTED)
    due = Claim.objects.filter(status__in=WAITING, next_check_at__lte=now)
    resubmitted = Claim.objects.filter(status=ClaimStatus.SUBMITTED, next_check_at__isnull=True,
                                       updated_at__lt=now - timedelta(minutes=1))  # fmt: skip
    return sorted(
        set(due.values_list("pk", flat=True)) | set(resubmitted.values_list("pk", flat=True))
    )
