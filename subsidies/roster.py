"""The enterprise-confirmed route of a policy paying persons (issue #26): the batch run
offers each qualifying employee a claim with their employer; the employer's member sees
the roster the data proposes (subsidies.selectors.roster), removes those who have left,
with the reason, and confirms the rest, each then paid to their own account by the one
pipeline (book_paying, payments.send).

The employer cannot add anyone: only the persons on the roster can be confirmed or
removed, and an id it does not hold is refused. The date rule: a person whose insurance
with this employer has ended by the time of confirmation (the social insurance
department's answer, read through the hub now) is withdrawn, not paid, whatever the
employer ticked."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from datahub.fetching.pipeline import fetch_person_facts
from enterprises.models import Enterprise
from enterprises.persons.models import Person
from policies.models import Beneficiary, DeliveryMode, PolicyVersion
from qinqing.audit.services import record_event
from qinqing.i18n import in_languages
from qinqing.queueing import queue

from .claims import ensure_in_business
from .errors import ClaimRefused, RosterNotAllowed
from .gateway import GatewayError
from .models import Claim, ClaimStatus, DisbursementStatus
from .moves import locked_claims, move_claims
from .payments import PAY_TASK, PERSON_BANK_FACTS, pay_claims, send
from .pipeline import book_paying
from .selectors import may_confirm_roster

REASON_MAX = 500
ROSTER_FACTS = ["person.hrss.insured", "person.hrss.employer_uscc", *PERSON_BANK_FACTS]
LEFT = gettext_lazy("the person's insurance with this employer had ended when the roster "
                    "was confirmed")  # fmt: skip


@dataclass
class RosterOutcome:
    confirmed: list[int] = field(default_factory=list)  # claims now paying (or paid)
    removed: list[int] = field(default_factory=list)  # withdrawn by the employer
    left: list[int] = field(default_factory=list)  # withdrawn by the date rule
    exhausted: list[int] = field(default_factory=list)  # the budget ran out


def _person_ids(values: Iterable[Any]) -> set[int]:
    ids = set()
    for value in values:
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError):
            raise ClaimRefused(_("“%(value)s” is not a person on this roster.")
                               % {"value": str(value)[:40]}) from None  # fmt: skip
        if not 0 < number < 2**63:
            raise ClaimRefused(_("“%(value)s” is not a person on this roster.")
                               % {"value": str(value)[:40]})  # fmt: skip
        ids.add(number)
    return ids


def confirm_roster(user: Any, version: PolicyVersion, enterprise: Enterprise,
                   removed_person_ids: Iterable[Any],
                   reason: str = "") -> RosterOutcome:  # fmt: skip
    """The employer's member confirms its roster of `version`: the persons in
    `removed_person_ids` are withdrawn with `reason` (required when anyone is removed);
    every other person still offered is checked against the date rule and, if still
    insured here, confirmed and paid to the account of their social security card.
    Raises RosterNotAllowed (403) for anyone but the employer's member, ClaimRefused
    (400) for an id not on the roster, a missing reason, or a version without a roster."""
    if not may_confirm_roster(user, enterprise):
        raise RosterNotAllowed(_("Only the enterprise's own members may confirm its roster."))
    if (version.beneficiary != Beneficiary.PERSON
            or version.policy.delivery_mode != DeliveryMode.CONFIRM):  # fmt: skip
        raise ClaimRefused(_("This policy has no roster for the enterprise to confirm."))
    removed = _person_ids(removed_person_ids)
    reason = (reason or "").strip()
    if removed and not reason:
        raise ClaimRefused(_("Say why these persons are removed: the reason is kept."))
    if len(reason) > REASON_MAX:
        raise ClaimRefused(_("The reason may be at most %(max)d characters long.")
                           % {"max": REASON_MAX})  # fmt: skip
    offered = dict(
        Claim.objects.filter(version=version, enterprise=enterprise, person__isnull=False,
                             status=ClaimStatus.OFFERED)
        .values_list("person_id", "pk")
    )  # fmt: skip
    unknown = removed - set(offered)
    if unknown:
        raise ClaimRefused(_("%(count)d of the persons to remove are not waiting on this "
                             "roster: only the persons it lists can be removed.")
                           % {"count": len(unknown)})  # fmt: skip
    ensure_in_business(enterprise)
    # The date rule and the accounts: each person's insurance and card asked of the hub
    # now, before any row is locked (slow work never under a lock).
    kept = {person_id: pk for person_id, pk in offered.items() if person_id not in removed}
    still, banks = _still_insured(kept, enterprise, version, user)
    outcome = RosterOutcome()
    with transaction.atomic():
        claims = {c.pk: c for c in locked_claims(offered.values())
                  if c.status == ClaimStatus.OFFERED}  # fmt: skip
        decisions = dict(Claim.objects.filter(pk__in=list(claims))
                         .values_list("pk", "decision"))  # fmt: skip
        gone = [offered[p] for p in removed if offered[p] in claims]
        left = [pk for person_id, pk in kept.items() if pk in claims and person_id not in still]
        labels = {pk: str(claim) for pk, claim in claims.items()}
        for ids, words in ((gone, {"zh-hans": reason, "en": reason}),
                           (left, in_languages(LEFT))):  # fmt: skip
            rows = {pk: {"decision": {**(decisions[pk] or {}), "withdrawn": words}}
                    for pk in ids}  # fmt: skip
            moved = move_claims(ids, ClaimStatus.WITHDRAWN, user, rows=rows, labels=labels)
            (outcome.removed if ids is gone else outcome.left).extend(moved)
        confirming = [claims[pk] for person_id, pk in kept.items()
                      if pk in claims and person_id in still]  # fmt: skip
        for claim in confirming:
            claim.person_bank = banks[claim.person_id]
        moved = set(move_claims([c.pk for c in confirming], ClaimStatus.ELIGIBLE, user,
                                labels=labels))  # fmt: skip
        payments = book_paying([c for c in confirming if c.pk in moved], sending=True)
        outcome.confirmed = [p.claim_id for p in payments]
        outcome.exhausted = [pk for pk in moved if pk not in set(outcome.confirmed)]
        record_event(actor=user, action="claim.roster_confirmed", obj=enterprise, after={
            "policy": version.policy.code, "version": version.number,
            "confirmed": len(outcome.confirmed), "removed": len(outcome.removed),
            "left": len(outcome.left), "reason": reason,
        })  # fmt: skip
    sent = [p for p in payments if p.status == DisbursementStatus.SENT]
    unsent = [p.claim_id for p in payments if p.status != DisbursementStatus.SENT]
    try:
        if unsent:
            pay_claims(unsent)  # no account known: recorded as failed
        if sent:
            send(sent)
    except GatewayError:
        for payment in sent:  # the payment task retries with back-off, with the same keys
            queue(PAY_TASK, payment.claim_id)
    return outcome


def _still_insured(kept: dict[int, int], enterprise: Enterprise, version: PolicyVersion,
                   user: Any) -> tuple[set[int], dict[int, tuple[str, str]]]:  # fmt: skip
    """Of the persons in `kept` (person id → claim id), those the social insurance
    department shows insured by `enterprise` now, and each one's card account."""
    still: set[int] = set()
    banks: dict[int, tuple[str, str]] = {}
    for person in Person.objects.filter(pk__in=list(kept)).order_by("pk"):
        read = fetch_person_facts(
            person, ROSTER_FACTS, requested_by=user,
            purpose=f"subsidies.roster:{kept[person.pk]} the employer confirming "
                    f"{version.policy.code}: still insured there, and the card's account",
        )  # fmt: skip
        insured, uscc = read["person.hrss.insured"], read["person.hrss.employer_uscc"]
        if insured.known and insured.value and uscc.known and str(uscc.value) == enterprise.uscc:
            still.add(person.pk)
        name, account = read["person.bank.name"], read["person.bank.account"]
        banks[person.pk] = (str(name.value or "") if name.known else "",
                            str(account.value or "") if account.known else "")  # fmt: skip
    return still, banks
