"""Paying claims, for one claim or thousands alike: the budget reserved, each claim's
disbursement with its deterministic key, the treasury asked once for a set of payments
(one payment file), and what it confirms booked with its ledger legs, in one transaction.

Never pays twice: the key is the claim's, a payment sent again uses the same key, and an
outcome nobody knows is settled by asking about that key. Nothing zero or negative is
ever sent. Slow work (the treasury) happens between transactions, never under a lock.
Claims are locked before their disbursements, in id order, by every path."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from datahub.fetching.pipeline import fetch_person_facts
from policies.models import PolicyVersion
from qinqing.audit.services import record_events
from qinqing.bulk import KeyedRead, any_of, insert_values, plan_by_keys
from qinqing.checkpoints import checkpoint
from qinqing.masking import mask_name
from qinqing.queueing import queue_on_commit
from qinqing.transitions import move_many

from .claim_parties import CLAIM_FIELDS, claim_parties
from .deductions import PAYMENT_DEDUCTIONS, deductions_for, owing
from .gateway import GatewayError, OutcomeUnknown, PaymentOrder, gateway
from .models import (
    Budget,
    Claim,
    ClaimStatus,
    Disbursement,
    DisbursementStatus,
    LedgerEntry,
    budget_account,
    claim_label,
    enterprise_account,
    person_account,
)
from .moves import locked_claims, move_claims

STALLED_PAYMENT_AFTER = timedelta(minutes=5)
PAY_TASK = "subsidies.tasks.pay_claim"
# Told, inside the transaction that books them, how many claims were paid or failed
# ("paid"/"failed", count): a batch chunk keeps its live figures this way.
Tally = Callable[[str, int], None]


def disbursement_key(claim_id: int) -> str:
    """The claim's one key, for every attempt to pay it (a retry too): the treasury pays
    a key once, so no late answer and no retry can ever make a second payment."""
    return f"qinqing-claim-{claim_id}"


def is_payable(amount: Decimal | None) -> bool:
    """Only a positive amount is ever sent to the treasury."""
    return amount is not None and amount > 0


NO_ACCOUNT = "no bank account on record"
REFUSED = "refused by the treasury"
NOTHING_TO_PAY = "nothing to pay"
# Failures the enterprise can put right itself (its bank details): retried automatically
# when it changes them (retry_for_enterprise()).
FIXABLE = (NO_ACCOUNT, REFUSED)


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


def budget_left(version: PolicyVersion) -> Decimal:
    budget, _created = Budget.objects.get_or_create(version=version,
                                                    defaults={"total": version.budget})  # fmt: skip
    return budget.total - budget.reserved


class Payment(NamedTuple):
    """A disbursement as the payment steps need it: plain values, no model instance."""

    pk: int
    claim_id: int
    idempotency_key: str
    amount: Decimal
    bank_account: str
    status: str
    payee: str = ""


# A person's claim is paid to the account of their social security card (issue #26).
PERSON_BANK_FACTS = ["person.bank.name", "person.bank.account"]


def person_bank(claim: Claim) -> tuple[str, str]:
    """(bank name, account) a person's claim is paid to: the hub's answer about the
    account of the person's social security card, read with the claim's purpose (or what
    the caller read already, `claim.person_bank`). ("", "") when the department does not
    know it: the payment then fails for want of an account, as an enterprise's does."""
    known = getattr(claim, "person_bank", None)
    if known is not None:
        return known
    read = fetch_person_facts(
        claim.person, PERSON_BANK_FACTS,
        purpose=f"subsidies.payment:{claim.pk} paying {claim.policy.code} to the account "
                f"of the social security card",
    )  # fmt: skip
    name, account = (read[fact] for fact in PERSON_BANK_FACTS)
    bank = (str(name.value or "") if name.known else "",
            str(account.value or "") if account.known else "")  # fmt: skip
    claim.person_bank = bank
    return bank


def disburse(claims: list[Claim], *, sending: bool = False) -> list[Payment]:
    """Each claim's disbursement, with its key and the payee's account (claims with their
    enterprise loaded): the enterprise's on record, or for a person's claim the account
    of their social security card (person_bank()). See disburse_values()."""
    rows, payees, persons = [], {}, set()
    for c in claims:
        if c.person_id:
            rows.append((c.pk, c.enterprise_id, c.amount, *person_bank(c)))
            payees[c.pk] = mask_name(c.person.name)
            persons.add(c.pk)
        else:
            rows.append((c.pk, c.enterprise_id, c.amount, c.enterprise.bank_name,
                         c.enterprise.bank_account))  # fmt: skip
    return disburse_values(rows, claims=claims, sending=sending, payees=payees,
                           persons=persons)  # fmt: skip


def disburse_values(rows: list[tuple[int, int, Decimal, str, str]], *,
                    claims: list[Claim] | None = None, policy=None, version=None,
                    period: str = "", sending: bool = True, payees: dict[int, str] | None = None,
                    persons: set[int] | frozenset[int] = frozenset()) -> list[Payment]:  # fmt: skip
    """The disbursements of these claims — (claim id, enterprise id, amount, bank name,
    bank account) each — with their deterministic keys, in one statement (COPY for many).
    `sending`: recorded as sent already (the caller sends them right after its commit),
    where there is an account to send to and something to pay. What the registered
    deductions withhold (a recovery offset) is not paid: asked once for all the claims,
    in this transaction (subsidies/deductions.py); `claims` are the claims as the hooks
    read them, else built from the rows and `policy`, `version`, `period`.
    `payees`: claim id → the payee the payment file names (a person's masked name);
    `persons`: the claims paying persons, from which no enterprise's debt is withheld."""
    if not rows:
        return []
    payees = payees or {}
    withheld: dict[int, Decimal] = {}
    if PAYMENT_DEDUCTIONS.items() and len(persons) < len(rows):
        # Claim objects only for the enterprises a deduction could withhold from.
        debtors = owing({enterprise_id for pk, enterprise_id, *_rest in rows
                         if pk not in persons})  # fmt: skip
        if claims is None:
            claims = [Claim(pk=pk, enterprise_id=enterprise_id, policy=policy, version=version,
                            period=period, amount=amount)
                      for pk, enterprise_id, amount, _name, _account in rows
                      if pk not in persons and enterprise_id in debtors]  # fmt: skip
        else:
            claims = [claim for claim in claims
                      if claim.pk not in persons and claim.enterprise_id in debtors]  # fmt: skip
        withheld = deductions_for(claims) if claims else {}
    values = []
    for claim_id, _enterprise_id, amount, bank_name, bank_account in rows:
        due = amount - withheld.get(claim_id, 0)
        sent = sending and bool(bank_account) and is_payable(due)
        values.append((claim_id, disbursement_key(claim_id), due, bank_name, bank_account,
                       DisbursementStatus.SENT if sent else DisbursementStatus.PENDING,
                       1 if sent else 0, payees.get(claim_id, "")))  # fmt: skip
    pks = insert_values(Disbursement, DISBURSEMENT_FIELDS, values)
    return [Payment(pk, claim_id, key, due, account, status, payee)
            for pk, (claim_id, key, due, _bank, account, status, _n, payee)
            in zip(pks, values, strict=True)]  # fmt: skip


DISBURSEMENT_FIELDS = ("claim_id", "idempotency_key", "amount", "bank_name", "bank_account",
                       "status", "attempts", "payee")  # fmt: skip
LEDGER_FIELDS = ("transaction", "claim_id", "account", "debit", "credit")


def ledger_legs(*, key: str, amount: Decimal, claim_id: int, policy_code: str,
                version_number: int, uscc: str) -> list[LedgerEntry]:  # fmt: skip
    """A payment's double entry: the budget account pays, the enterprise's receives."""
    return [
        LedgerEntry(transaction=key, claim_id=claim_id, debit=amount,
                    account=budget_account(policy_code, version_number)),
        LedgerEntry(transaction=key, claim_id=claim_id, credit=amount,
                    account=enterprise_account(uscc)),
    ]  # fmt: skip


def lock_paying_claims(claims: QuerySet[Claim]) -> list[int]:
    """Lock these claims that are still paying, then their disbursements, both in claim
    order, and return the claims' ids. Every payment step locks in this one order, so two
    deliveries of the same payment wait for each other instead of deadlocking (a join
    locked with FOR UPDATE takes its tables' rows in whatever order the plan gives).
    The transaction plans by key from here (qinqing.bulk.plan_by_keys)."""
    plan_by_keys()
    paying = list(
        claims.select_for_update(of=("self",)).filter(status=ClaimStatus.PAYING)
        .order_by("pk").values_list("pk", flat=True)
    )  # fmt: skip
    list(
        Disbursement.objects.select_for_update(of=("self",)).filter(any_of("claim_id", paying))
        .order_by("claim_id").values_list("pk", flat=True)
    )  # fmt: skip
    return paying


def pay_claims(claim_ids: Iterable[int], *, tally: Tally | None = None) -> list[int]:
    """Send the payments of these claims that are still paying (again, with the same keys,
    for those sent before), and book what the treasury answers. A claim with no account
    on record ends "payment failed", one with nothing to pay "nothing due", without
    asking the treasury.
    Returns the claims paid now; raises GatewayError when the treasury could not be
    reached (nothing left: the caller tries again later)."""
    with transaction.atomic():
        paying = lock_paying_claims(Claim.objects.filter(any_of("pk", claim_ids)))
        due = list(
            Disbursement.objects.select_for_update(of=("self",))
            .filter(any_of("claim_id", paying),
                    status__in=[DisbursementStatus.PENDING, DisbursementStatus.SENT])
            .order_by("claim_id")
        )  # fmt: skip
        nothing = [d for d in due if not is_payable(d.amount)]
        due = [d for d in due if is_payable(d.amount)]
        refused = {d.claim_id: NO_ACCOUNT for d in due if not d.bank_account}
        due = [d for d in due if d.claim_id not in refused]
        move_many(Disbursement, [d.pk for d in due], DisbursementStatus.SENT,
                  attempts=F("attempts") + 1)  # fmt: skip
        fail_payments(refused, tally=tally)
        nothing_due(nothing)
    return send(due, tally=tally) if due else []


def nothing_due(disbursements: list[Disbursement]) -> list[int]:
    """Claims booked paying for nothing (zero or less: a batch claim, or one booked before
    this check existed): never sent; the claim ends "nothing due", its disbursement failed
    with the reason. In the caller's transaction, the claims locked. Returns the claims."""
    if not disbursements:
        return []
    move_many(Disbursement, [d.pk for d in disbursements], DisbursementStatus.FAILED,
              last_error=NOTHING_TO_PAY)  # fmt: skip
    return move_claims([d.claim_id for d in disbursements], ClaimStatus.NOTHING_DUE)


def send(
    disbursements: list[Payment] | list[Disbursement], *, tally: Tally | None = None
) -> list[int]:
    """Ask the treasury to pay disbursements marked as sent, as one payment file, and book
    its answers. A lost answer is settled by asking about the same keys (or left "sent"
    for resume_stalled_payments()); an unreachable treasury puts them back to pending and
    raises GatewayError (so does a gateway not configured: nothing was sent). Returns the
    claims paid."""
    # The last guard before money moves: nothing zero or negative ever leaves.
    disbursements = [d for d in disbursements if is_payable(d.amount)]
    if not disbursements:
        return []
    orders = [PaymentOrder(d.idempotency_key, d.amount, d.bank_account, d.payee)
              for d in disbursements]  # fmt: skip
    try:
        treasury = gateway()
        answers = {result.key: result for result in treasury.pay_many(orders)}
        # Paid, and not yet booked: the reliability tests stop a worker here.
        checkpoint("after_treasury_call")
    except OutcomeUnknown:
        try:
            answers = treasury.status_many([order.key for order in orders])
        except GatewayError:
            return []  # left "sent": resume_stalled_payments() asks again by the same keys
    except GatewayError as error:
        with transaction.atomic():
            move_many(Disbursement, [d.pk for d in disbursements], DisbursementStatus.PENDING,
                      last_error=str(error)[:300])  # fmt: skip
        raise
    confirmed = {d.pk: answers[d.idempotency_key].reference for d in disbursements
                 if d.idempotency_key in answers
                 and answers[d.idempotency_key].status == "confirmed"}  # fmt: skip
    refused = {d.claim_id: REFUSED for d in disbursements
               if d.idempotency_key in answers
               and answers[d.idempotency_key].status == "refused"}  # fmt: skip
    paid = confirm_many(confirmed, tally=tally, payments=disbursements)
    fail_payments(refused, tally=tally)
    # Neither (an unknown outcome the treasury has no record of): left "sent" for
    # resume_stalled_payments(), which asks again, never pays anew.
    return paid


# The claims of confirmed payments still paying, locked in id order (confirm_many).
_PAYING_CLAIMS = KeyedRead(lambda keys: Claim.objects.select_for_update(of=("self",))
                           .filter(any_of("pk", keys), status=ClaimStatus.PAYING)
                           .order_by("pk").values_list(*CLAIM_FIELDS))  # fmt: skip


def confirm_many(references: dict[int, str], *, tally: Tally | None = None,
                 payments: Iterable[Payment | Disbursement] = ()) -> list[int]:  # fmt: skip
    """The treasury confirmed these disbursements (id → reference): each claim paid once,
    with its two ledger legs, its audit and outbox events, in one transaction and a
    handful of set-based statements. `payments`: the disbursements as the caller has them
    (their key and amount never change once written), else read here. Returns the claims
    paid now."""
    if not references:
        return []
    with transaction.atomic():
        plan_by_keys()
        # Each claim's disbursement: (id, key, amount) by claim.
        known = {p.claim_id: (p.pk, p.idempotency_key, p.amount) for p in payments
                 if p.pk in references}  # fmt: skip
        if len(known) < len(references):
            known = {claim_id: (pk, key, amount) for pk, claim_id, key, amount in
                     Disbursement.objects.filter(any_of("pk", references))
                     .values_list("pk", "claim_id", "idempotency_key", "amount")}  # fmt: skip
        # The claims still paying locked in id order, with what they name (one statement,
        # the enterprises read by key in another); their disbursements are locked next, by
        # the conditional UPDATE that confirms them (the order every payment step keeps:
        # claims, then disbursements).
        parties = {row.pk: row for row in claim_parties(_PAYING_CLAIMS, known)}
        confirmed = set(move_many(
            Disbursement, [known[pk][0] for pk in parties], DisbursementStatus.CONFIRMED,
            rows={known[pk][0]: {"reference": references[known[pk][0]]} for pk in parties},
            confirmed_at=timezone.now(),
        ))  # fmt: skip
        paying = [row for pk, row in parties.items() if known[pk][0] in confirmed]
        if not paying:
            return []
        zero = Decimal(0)
        legs = []
        for row in paying:
            _pk, key, amount = known[row.pk]
            # The payment's double entry: the budget account pays, the payee's receives
            # (the enterprise's, or the person's by the register's key).
            payee = person_account(row.person_id) if row.person_id else enterprise_account(row.uscc)
            legs.append((key, row.pk, budget_account(row.policy_code, row.version_number),
                         amount, zero))  # fmt: skip
            legs.append((key, row.pk, payee, zero, amount))
        insert_values(LedgerEntry, LEDGER_FIELDS, legs, keys=False)  # their ids are not needed
        labels = {row.pk: claim_label(row.policy_code, row.period, row.uscc, row.person_id)
                  for row in paying}  # fmt: skip
        paid = move_claims([row.pk for row in paying], ClaimStatus.PAID, labels=labels,
                           parties=parties)  # fmt: skip
        if tally is not None:
            tally("paid", len(paid))
    return paid


def fail_payments(errors: dict[int, str], *, tally: Tally | None = None) -> list[int]:
    """Payments that will not be made (claim id → why): the claims end "payment failed",
    their disbursements "failed" with the reason. Returns the claims failed."""
    if not errors:
        return []
    with transaction.atomic():
        rows = list(
            Claim.objects.select_for_update(of=("self",))
            .filter(any_of("pk", errors), status=ClaimStatus.PAYING)
            .order_by("pk")
            .values_list("pk", "disbursement__pk", "period", "enterprise__uscc", "policy__code",
                         "person_id")
        )  # fmt: skip
        reasons = {row[1]: {"last_error": errors[row[0]][:300]} for row in rows if row[1]}
        move_many(Disbursement, list(reasons), DisbursementStatus.FAILED, rows=reasons)
        labels = {row[0]: claim_label(row[4], row[2], row[3], row[5]) for row in rows}
        failed = move_claims([row[0] for row in rows], ClaimStatus.PAYMENT_FAILED, labels=labels)
        if tally is not None and failed:
            tally("failed", len(failed))
    return failed


def resume_stalled_payments(now=None) -> list[int]:
    """Payments a worker left unfinished (killed, or its task lost with Redis): a "sent"
    disbursement is settled by asking the treasury about its key; one never sent, or
    unknown to the treasury, is queued again, with the same key. Returns claims queued."""
    now = now or timezone.now()
    stalled = list(Disbursement.objects.filter(
        claim__status=ClaimStatus.PAYING,
        status__in=[DisbursementStatus.PENDING, DisbursementStatus.SENT],
        created_at__lt=now - STALLED_PAYMENT_AFTER,
    ).values_list("pk", "claim_id", "status", "idempotency_key"))  # fmt: skip
    sent = [key for _pk, _claim, status, key in stalled if status == DisbursementStatus.SENT]
    answers = gateway().status_many(sent) if sent else {}
    confirm_many({pk: answers[key].reference for pk, _claim, _status, key in stalled
                  if key in answers and answers[key].status == "confirmed"})  # fmt: skip
    queued = [claim_id for _pk, claim_id, _status, key in stalled
              if not (key in answers and answers[key].status == "confirmed")]  # fmt: skip
    for claim_id in queued:
        queue_on_commit(PAY_TASK, claim_id)
    return queued


def _bank_now(claim: Claim, disbursement: Disbursement) -> tuple[str, str]:
    """The account a failed payment is tried again to: the enterprise's as on record now;
    for a person's claim the one it was sent to (or, if none was known, the hub's answer
    now about the person's social security card)."""
    if not claim.person_id:
        return claim.enterprise.bank_name, claim.enterprise.bank_account
    if disbursement.bank_account:
        return disbursement.bank_name, disbursement.bank_account
    return person_bank(claim)


BANK_DETAILS_CHANGED = _("the enterprise changed its bank details")


def retry_payments(claim_ids: Iterable[int], *, actor=None, reason: str,
                   fixable_only: bool = False) -> list[int]:  # fmt: skip
    """Try again the payments of these claims that failed: each claim back to paying, its
    disbursement (the same row, so the same key: the attempt chain's one key) back to
    pending with the enterprise's bank details as they are now, the reason audited, and
    the payment task queued once this commits. `fixable_only`: only the failures the
    enterprise could put right (no or a refused account). Claims locked, then their
    disbursements, in claim order, like every payment step. Returns the claims retried;
    one no longer failed (retried meanwhile, by hand or automatically) is left alone."""
    with transaction.atomic():
        claims = {c.pk: c for c in locked_claims(claim_ids)
                  if c.status == ClaimStatus.PAYMENT_FAILED}  # fmt: skip
        disbursements = list(
            Disbursement.objects.select_for_update(of=("self",))
            .filter(claim_id__in=list(claims), status=DisbursementStatus.FAILED)
            .order_by("claim_id")
        )  # fmt: skip
        if fixable_only:
            disbursements = [d for d in disbursements if d.last_error in FIXABLE]
        banks = {d.pk: _bank_now(claims[d.claim_id], d) for d in disbursements}
        disbursements = [d for d in disbursements if banks[d.pk][1]]
        if not disbursements:
            return []
        rows = {d.pk: {"bank_name": banks[d.pk][0], "bank_account": banks[d.pk][1],
                       "last_error": ""} for d in disbursements}  # fmt: skip
        move_many(Disbursement, list(rows), DisbursementStatus.PENDING, actor=actor, rows=rows)
        ids = [d.claim_id for d in disbursements]
        moved = move_claims(ids, ClaimStatus.PAYING, actor,
                            labels={pk: str(claims[pk]) for pk in ids})  # fmt: skip
        record_events(actor=actor, events=(
            ("claim.payment_retried", claims[d.claim_id], None,
             {"reason": str(reason)[:500], "key": d.idempotency_key,
              "previous_error": d.last_error, "attempts_so_far": d.attempts})
            for d in disbursements if d.claim_id in set(moved)
        ))  # fmt: skip
        for claim_id in moved:
            queue_on_commit(PAY_TASK, claim_id)
    return moved


def retry_for_enterprise(sender=None, *, enterprise_id: int, actor=None, **kwargs) -> list[int]:
    """The enterprise changed its bank details (enterprises.signals): its payments that
    failed for want of a valid account are tried again, at once, with their own keys."""
    failed = list(Claim.objects.filter(enterprise_id=enterprise_id, person__isnull=True,
                                       status=ClaimStatus.PAYMENT_FAILED)
                  .values_list("pk", flat=True))  # fmt: skip
    if not failed:
        return []
    return retry_payments(failed, actor=actor, reason=str(BANK_DETAILS_CHANGED),
                          fixable_only=True)  # fmt: skip
