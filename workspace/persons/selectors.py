"""What a private person's pages read, always through qinqing.scoping."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from datahub.catalogue import PERSON_CATALOGUE
from datahub.models import DataCall
from enterprises.persons.models import Person
from qinqing.masking import mask_digits
from qinqing.scoping import visible_to
from subsidies.models import Claim, ClaimStatus
from subsidies.selectors import claim_explanation, claim_status_label


def reads_of_person(user: Any, person: Person) -> QuerySet[DataCall]:
    """Every read of the person's data this user may see: the person sees their own, an
    auditor every one; an enterprise (even the employer) and other officials none."""
    return (
        visible_to(user, DataCall.objects.select_related("department", "requested_by"))
        .filter(person=person)
        .order_by("-started_at", "-id")
    )


def claims_of(user: Any, person: Person) -> QuerySet[Claim]:
    """The person's claims this user may see (the person: their own; Claim.reach), newest
    first, with what their rows show."""
    return (
        visible_to(
            user, Claim.objects.select_related("policy__department", "version", "disbursement")
        )
        .filter(person=person)
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class Payment:
    """A claim's payment as the person sees it: the bank account masked to its last four
    digits, whatever the disbursement holds."""

    reference: str
    bank_name: str
    account_masked: str
    amount: Decimal
    confirmed_at: datetime | None


def payment_of(claim: Claim) -> Payment | None:
    disbursement = getattr(claim, "disbursement", None)
    if disbursement is None:
        return None
    return Payment(
        reference=disbursement.reference,
        bank_name=disbursement.bank_name,
        account_masked=mask_digits(disbursement.bank_account),
        amount=disbursement.amount,
        confirmed_at=disbursement.confirmed_at,
    )


# The claim's state in the person's words: what happened and what happens next.
_PLAIN = {
    ClaimStatus.PAID: "paid",
    ClaimStatus.PAYING: "paying",
    ClaimStatus.ELIGIBLE: "paying",
    ClaimStatus.OFFERED: "employer",
    ClaimStatus.SUBMITTED: "checking",
    ClaimStatus.CHECKING: "checking",
    ClaimStatus.AWAITING_DATA: "checking",
    ClaimStatus.IN_REVIEW: "review",
}


@dataclass(frozen=True)
class ClaimRow:
    claim: Claim
    status_label: str
    stage: str  # paid / paying / employer / checking / review / closed
    payment: Payment | None


def claim_rows(claims: QuerySet[Claim]) -> list[ClaimRow]:
    return [
        ClaimRow(
            claim, claim_status_label(claim), _PLAIN.get(claim.status, "closed"), payment_of(claim)
        )
        for claim in claims
    ]


@dataclass(frozen=True)
class PersonCriterion:
    """One criterion of a person's decision as their pages show it: a fact about the person
    may be disputed by them; a fact about their employer is the employer's to dispute."""

    label: str
    fact: str
    value_text: str
    met: bool | None
    alternative: bool
    negated: bool
    department: str
    read_at: datetime | None

    @property
    def about_employer(self) -> bool:
        return not self.fact.startswith(PERSON_FACT_PREFIX)

    @property
    def disputable(self) -> bool:
        return self.fact in PERSON_CATALOGUE


PERSON_FACT_PREFIX = "person."


def person_criteria(claim: Claim) -> tuple[list[PersonCriterion], str]:
    """The claim's criteria (subsidies.selectors.claim_explanation) and its amount's formula
    in words."""
    explained = claim_explanation(claim)
    rows = [
        PersonCriterion(
            c.label, c.fact, c.value_text, c.met, c.alternative, c.negated, c.department, c.read_at
        )
        for c in explained.criteria
    ]
    return rows, explained.formula
