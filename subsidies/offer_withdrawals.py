"""Withdrawing offers whose facts no longer hold (a re-evaluation found the enterprise,
or the person, no longer meets a confirm version's conditions): the claim moves to
withdrawn through its transition table (audit and outbox), the reason kept with its
decision in both languages, and whoever the offer was made to told why, in words about
them: an enterprise's members, or the person (never the employer's members)."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from enterprises.models import EnterpriseMembership
from enterprises.persons.models import Person
from qinqing.i18n import in_languages
from qinqing.notifications.services import Delivery, notify_many
from qinqing.notifications.text import Message

from .models import Claim, ClaimStatus, Reevaluation
from .moves import move_claims
from .notification_kinds import NotificationKind

WITHDRAWN_TITLE = _("Offer withdrawn: {policy}")
WITHDRAWN_BODY = _(
    "The offer to {enterprise} under “{policy}” was withdrawn: {cause}, and by the "
    "department data now held the enterprise no longer meets the policy's conditions. "
    "If you think the data is wrong, ask the department to correct it from the claim page."
)
WITHDRAWN_REASON = _(
    "Withdrawn because {cause}: by the department data now held the enterprise no longer "
    "meets the conditions."
)
PERSON_WITHDRAWN_TITLE = _("Offer withdrawn: {policy}")
PERSON_WITHDRAWN_BODY = _(
    "The offer to you under “{policy}” was withdrawn: {cause}, and by the department data "
    "now held you no longer meet the policy's conditions. If you think the data is wrong, "
    "dispute it from the claim page."
)
PERSON_WITHDRAWN_REASON = _(
    "Withdrawn because {cause}: by the department data now held the person no longer "
    "meets the conditions."
)
PERSON_CAUSE_WORDS = {
    Reevaluation.Cause.EXTRACT: _("a department's data about the person or their employer changed"),
    Reevaluation.Cause.ANSWER: _(
        "a department's answer about the person or their employer changed"
    ),
    Reevaluation.Cause.CORRECTION: _("a fact about the person or their employer was corrected"),
    Reevaluation.Cause.REGISTERED: _("the register of persons or enterprises changed"),
    Reevaluation.Cause.CREDIT: _("the employer's credit listing changed"),
}
CAUSE_WORDS = {
    Reevaluation.Cause.EXTRACT: _("a department's data about the enterprise changed"),
    Reevaluation.Cause.ANSWER: _("a department's answer about the enterprise changed"),
    Reevaluation.Cause.CORRECTION: _("a fact about the enterprise was corrected"),
    Reevaluation.Cause.REGISTERED: _("the enterprise's registration changed"),
    Reevaluation.Cause.CREDIT: _("the enterprise's credit listing changed"),
}


def withdraw_offers(claim_ids: list[int], cause: str) -> list[int]:
    """Offers whose facts no longer hold: withdrawn with the reason (kept in both
    languages in the claim's decision), audited, and their enterprises' members told (a
    person's offer: the person, in words about them)."""
    words = CAUSE_WORDS.get(cause, CAUSE_WORDS[Reevaluation.Cause.ANSWER])
    person_words = PERSON_CAUSE_WORDS.get(cause, PERSON_CAUSE_WORDS[Reevaluation.Cause.ANSWER])
    reasons = {
        False: in_languages(Message(WITHDRAWN_REASON, cause=words)),
        True: in_languages(Message(PERSON_WITHDRAWN_REASON, cause=person_words)),
    }
    with transaction.atomic():
        found = Claim.objects.filter(pk__in=claim_ids, status=ClaimStatus.OFFERED)
        rows = {
            pk: {"decision": {**(decision or {}), "withdrawn": reasons[person is not None]}}
            for pk, decision, person in found.values_list("pk", "decision", "person_id")
        }
        moved = move_claims(sorted(rows), ClaimStatus.WITHDRAWN, rows=rows)
        transaction.on_commit(partial(_tell_withdrawn, moved, words, person_words), robust=True)
    return moved


def _tell_withdrawn(claim_ids: list[int], cause, person_cause=None) -> None:
    claims = list(Claim.objects.filter(pk__in=claim_ids).select_related("policy", "enterprise"))
    persons = [claim for claim in claims if claim.person_id]
    claims = [claim for claim in claims if not claim.person_id]
    if persons:
        _tell_persons_withdrawn(persons, person_cause or cause)
    members: dict[int, list[int]] = {}
    for enterprise_id, user_id in EnterpriseMembership.objects.filter(
        enterprise_id__in={c.enterprise_id for c in claims}, user__is_active=True
    ).values_list("enterprise_id", "user_id"):
        members.setdefault(enterprise_id, []).append(user_id)
    deliveries = []
    for claim in claims:
        params = {"policy": claim.policy, "enterprise": claim.enterprise.name, "cause": cause}
        deliveries += [Delivery(user, Message(WITHDRAWN_TITLE, **params),
                                Message(WITHDRAWN_BODY, **params), f"/claims/{claim.pk}/")
                       for user in members.get(claim.enterprise_id, [])]  # fmt: skip
    notify_many(NotificationKind.CLAIM_OFFER_WITHDRAWN, deliveries)


def _tell_persons_withdrawn(claims: list[Claim], cause) -> None:
    """A person's offer withdrawn: the person hears of it through their login (the
    employer's members never do: a person's claim is the person's)."""
    logins = dict(Person.objects.filter(pk__in={c.person_id for c in claims}, user__is_active=True)
                  .values_list("pk", "user_id"))  # fmt: skip
    deliveries = [Delivery(logins[claim.person_id],
                           Message(PERSON_WITHDRAWN_TITLE, policy=claim.policy),
                           Message(PERSON_WITHDRAWN_BODY, policy=claim.policy, cause=cause),
                           f"/claims/{claim.pk}/")
                  for claim in claims if claim.person_id in logins]  # fmt: skip
    notify_many(NotificationKind.CLAIM_OFFER_WITHDRAWN, deliveries)
