"""Raising, pausing, resuming and waiving recovery orders, and asking the treasury to
collect one. Every status change goes through qinqing.transitions (RecoveryOrder's
table); the enterprise hears of each once committed. Orders are locked before their
collections, in id order, by every path (offsets: subsidies' claims, then the orders)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from credit.commitments.models import Commitment, SubjectKind
from directline.models import Category
from directline.services.raising import raise_request
from qinqing.audit.services import record_event
from qinqing.errors import Conflict, Invalid, NotAllowed, NotFound, Unavailable
from qinqing.events.services import emit_many
from qinqing.money import parse_yuan
from qinqing.queueing import queue_on_commit
from qinqing.scoping import is_acting_official, is_member, visible_to
from qinqing.transitions import move
from subsidies.models import Claim, ClaimStatus

from .events import order_event
from .models import (
    OPEN_STATES,
    CollectionStatus,
    Grounds,
    OrderStatus,
    RecoveryCollection,
    RecoveryOrder,
    collection_key,
)
from .notices import tell
from .notification_kinds import NotificationKind as K

COLLECT_TASK = "recovery.tasks.collect"
REASON_MAX = 2000
APPEAL_CATEGORY = "difficulty"  # the direct line's "Difficulty or appeal"


def locked_order(order_id: int) -> RecoveryOrder:
    order = (RecoveryOrder.objects.select_for_update(of=("self",))
             .select_related("enterprise", "claim__policy", "claim__version")
             .filter(pk=order_id).first())  # fmt: skip
    if order is None:
        raise NotFound(_("There is no such recovery order."))
    return order


def _reason(text: str | None) -> str:
    text = (text or "").strip()
    if not text:
        raise Invalid(_("Give the reason."), fields={"reason": [_("Give the reason.")]})
    if len(text) > REASON_MAX:
        raise Invalid(_("The reason is too long."), fields={"reason": [_("Too long.")]})
    return text


def recoverable(claim: Claim) -> Decimal:
    """What may still be ordered back on this claim: its amount, less what other orders
    claim (all of an order not waived, what came back of one waived)."""
    others = RecoveryOrder.objects.filter(claim=claim).aggregate(
        owed=Sum("amount", filter=~Q(status=OrderStatus.WAIVED)),
        back=Sum("recovered", filter=Q(status=OrderStatus.WAIVED)),
    )  # fmt: skip
    return (claim.amount or Decimal(0)) - (others["owed"] or 0) - (others["back"] or 0)


def open_order(*, claim: Claim, grounds: str, reason: str, actor: Any = None,
               amount: Decimal | None = None,
               commitment: Commitment | None = None) -> tuple[RecoveryOrder, bool]:  # fmt: skip
    """An order for this paid claim (its whole amount unless said), audited, told to
    partners and the enterprise. A claim with an open order keeps it: (that order, False)."""
    existing = RecoveryOrder.objects.filter(claim=claim, status__in=OPEN_STATES).first()
    if existing is not None:
        return existing, False
    if claim.status != ClaimStatus.PAID:
        raise Conflict(_("Only a paid claim can be recovered."))
    if claim.person_id:
        # An order's debtor is the claim's enterprise (offsets, repayment, appeal): for an
        # employee's own payment that would be the employer, who received nothing.
        raise Conflict(PAID_TO_A_PERSON)
    most = recoverable(claim)
    amount = most if amount is None else amount
    if amount <= 0 or amount > most:
        words = {"most": f"{most:,.2f}"}
        raise Invalid(_("The amount must be more than zero and at most ¥%(most)s.") % words,
                      fields={"amount": [_("At most ¥%(most)s.") % words]})  # fmt: skip
    try:
        with transaction.atomic():
            order = RecoveryOrder.objects.create(
                enterprise_id=claim.enterprise_id, claim=claim, grounds=grounds,
                reason=reason[:REASON_MAX], amount=amount, commitment=commitment,
                raised_by=actor if getattr(actor, "is_authenticated", False) else None,
            )  # fmt: skip
    except IntegrityError:  # raised meanwhile by another path: one open order per claim
        return RecoveryOrder.objects.get(claim=claim, status__in=OPEN_STATES), False
    order = RecoveryOrder.objects.select_related("enterprise", "claim__policy").get(pk=order.pk)
    record_event(actor=actor, action="recovery_order.raised", obj=order,
                 after={"status": order.status, "grounds": grounds, "amount": str(amount),
                        "claim": claim.pk, "reason": order.reason})  # fmt: skip
    emit_many([order_event(order, OrderStatus.RAISED)])
    tell([order.pk], K.RECOVERY_RAISED)
    return order, True


PAID_TO_A_PERSON = gettext_lazy(
    "This payment went to an employee in person, not to the enterprise, so the enterprise "
    "owes nothing for it. Recovering a payment from a person is not done through this "
    "portal: the paying department takes it up with the person directly."
)


def claims_of_commitment(commitment: Commitment) -> list[Claim]:
    """The paid claims a commitment was made for (a subsidy claim's commitment names the
    claim's id as its subject); other commitments stand behind no payment."""
    ref = (commitment.subject_ref or "").strip().rsplit(":", 1)[-1]  # "subsidies.claim:12"
    if commitment.subject_kind != SubjectKind.SUBSIDY_CLAIM or not ref.isdigit():
        return []
    return list(Claim.objects.filter(pk=int(ref), enterprise_id=commitment.enterprise_id,
                                     status=ClaimStatus.PAID, person__isnull=True))  # fmt: skip


def raise_for_breach(commitment: Commitment, *, actor: Any = None) -> list[RecoveryOrder]:
    """The commitment notice says the funds will be returned: an order for each paid claim
    the commitment was made for, in the breach's transaction."""
    reason = commitment.reason or _("The commitment was found untrue or not kept.")
    return [open_order(claim=claim, grounds=Grounds.BREACH, reason=reason, actor=actor,
                       commitment=commitment)[0]
            for claim in claims_of_commitment(commitment)]  # fmt: skip


def raise_for_ineligible_claim(claim: Claim, reason: str, *,
                               actor: Any = None) -> RecoveryOrder | None:  # fmt: skip
    """A correction shows a paid claim was never eligible (the re-evaluation calls this):
    an order for what was paid. A claim not paid owes nothing: None; nor does the
    enterprise owe for a payment made to an employee in person (PAID_TO_A_PERSON)."""
    if claim.status != ClaimStatus.PAID or claim.person_id:
        return None
    with transaction.atomic():
        return open_order(claim=claim, grounds=Grounds.INELIGIBLE, actor=actor,
                          reason=_reason(reason))[0]  # fmt: skip


def raise_by_official(claim_id: int, *, actor: Any, amount: Any, reason: str) -> RecoveryOrder:
    """An official of the paying policy's department decides a payment was not due."""
    if not is_acting_official(actor):
        raise NotAllowed(_("Only officials raise recovery orders."))
    claim = visible_to(actor, Claim).filter(pk=claim_id).first()
    if claim is None:
        raise NotFound(_("There is no such claim within your access."))
    reason = _reason(reason)
    try:
        value = parse_yuan(str(amount)) if amount not in (None, "") else None
    except (ValueError, ArithmeticError):
        raise Invalid(_("Give the amount in yuan."),
                      fields={"amount": [_("Give the amount in yuan.")]}) from None  # fmt: skip
    with transaction.atomic():
        order, created = open_order(claim=claim, grounds=Grounds.DECISION, reason=reason,
                                    actor=actor, amount=value)  # fmt: skip
    if not created:
        raise Conflict(_("This claim already has an open recovery order."))
    return order


def _official_order(order_id: int, actor: Any) -> RecoveryOrder:
    if not is_acting_official(actor):
        raise NotAllowed(_("Only officials decide recovery orders."))
    if not visible_to(actor, RecoveryOrder).filter(pk=order_id).exists():
        raise NotFound(_("There is no such recovery order."))
    return locked_order(order_id)


def waive(order_id: int, *, actor: Any, reason: str) -> RecoveryOrder:
    """An official waives what is still owed (an appeal upheld, a mistake), with a reason
    the enterprise reads. What came back stays back."""
    reason = _reason(reason)
    with transaction.atomic():
        order = _official_order(order_id, actor)
        move(order, OrderStatus.WAIVED, actor=actor, waive_reason=reason,
             settled_at=timezone.now())  # fmt: skip
        tell([order.pk], K.RECOVERY_WAIVED)
    return order


def _member_order(order_id: int, actor: Any) -> RecoveryOrder:
    order = locked_order(order_id)
    if not is_member(actor, order.enterprise_id):
        raise NotAllowed(_("Only the enterprise's own members may do this."))
    return order


def _appeal_category() -> Category:
    category = (Category.objects.filter(code=APPEAL_CATEGORY).first()
                or Category.objects.order_by("order").first())  # fmt: skip
    if category is None:
        raise Unavailable(_("The direct line takes no requests yet: please call the department."))
    return category


def appeal(order_id: int, *, actor: Any, text: str) -> RecoveryOrder:
    """The enterprise appeals through the direct line: a request to the paying policy's
    department, linked to the order, which is paused (no offset, no collection) until
    the request is answered."""
    with transaction.atomic():
        order = _member_order(order_id, actor)
        if order.status != OrderStatus.RAISED:
            raise Conflict(_("Only an outstanding order can be appealed (not one paused, "
                             "being collected, settled or waived)."))  # fmt: skip
        request = raise_request(
            actor=actor, enterprise=order.enterprise,
            category=_appeal_category(),
            subject=_("Appeal against recovery order %(number)s") % {"number": order.pk},
            description=text, policy=order.claim.policy,
        )  # fmt: skip
        move(order, OrderStatus.PAUSED, actor=actor, appeal=request)
        tell([order.pk], K.RECOVERY_PAUSED)
    return order


def resume_after_answer(request_id: int, *, actor: Any = None) -> list[int]:
    """The appeal was answered: its paused orders run again (the official may waive)."""
    with transaction.atomic():
        ids = list(RecoveryOrder.objects.filter(appeal_id=request_id, status=OrderStatus.PAUSED)
                   .values_list("pk", flat=True))  # fmt: skip
        for order_id in ids:
            move(locked_order(order_id), OrderStatus.RAISED, actor=actor)
        tell(ids, K.RECOVERY_RESUMED)
    return ids


def request_repayment(order_id: int, *, actor: Any) -> RecoveryCollection:
    """The enterprise repays what is outstanding now, from its account on record, through
    the treasury: one attempt with its own key, collected by a task once committed."""
    with transaction.atomic():
        order = _member_order(order_id, actor)
        if order.status != OrderStatus.RAISED:
            raise Conflict(_("Only an outstanding order can be repaid (not one paused by an "
                             "appeal, being collected, settled or waived)."))  # fmt: skip
        account = order.enterprise.bank_account
        if not account:
            raise Conflict(_("There is no bank account on record to repay from: add it to "
                             "the enterprise's details first."))  # fmt: skip
        attempt = order.collections.count() + 1
        collection = RecoveryCollection.objects.create(
            order=order, attempt=attempt, key=collection_key(order.pk, attempt),
            amount=order.outstanding, account=account, requested_by=actor,
        )  # fmt: skip
        move(order, OrderStatus.COLLECTING, actor=actor)
        queue_on_commit(COLLECT_TASK, collection.pk)
    return collection


def unfinished_collections() -> list[int]:
    """Collections a worker left unfinished (the sweep asks again, by the same keys)."""
    unfinished = [CollectionStatus.PENDING, CollectionStatus.SENT]
    return list(RecoveryCollection.objects.filter(status__in=unfinished)
                .values_list("pk", flat=True))  # fmt: skip
