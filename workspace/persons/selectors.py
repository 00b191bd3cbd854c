"""What a private person's pages read, always through qinqing.scoping."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from datahub.catalogue import PERSON_CATALOGUE, display_value
from datahub.models import DataCall
from departments.models import Department
from enterprises.persons.models import Person
from policies.engine import ELIGIBLE, INELIGIBLE, UNKNOWN
from policies.evaluation import (
    EMPLOYER_BLACK_LIST_UNKNOWN,
    EMPLOYER_BLACK_LISTED,
    EMPLOYER_NOT_IN_BUSINESS,
    EMPLOYER_NOT_TARGETED,
    NO_EMPLOYER,
    Decision,
    evaluate_for_person,
)
from policies.models import Beneficiary, Policy, PolicyVersion
from policies.selectors import published_versions
from qinqing.i18n import pick
from qinqing.masking import mask_digits
from qinqing.scoping import visible_to
from subsidies.claims import period_key
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


# The purpose each read for "which policies do I qualify for" is logged with: the person's
# own words, shown as written in their "My data".
QUALIFY_PURPOSE = (
    "您查看可享受的员工补贴 (you checked which subsidies for employees you qualify for)"
)

# Why the employer lets nobody qualify (policies.evaluation's reasons), in plain words.
EMPLOYER_WORDS = {
    NO_EMPLOYER: _("The social insurance department does not show you insured by an "
                   "enterprise in the register now."),
    EMPLOYER_NOT_TARGETED: _("This policy is not for your employer's district or industry."),
    EMPLOYER_NOT_IN_BUSINESS: _("Your employer is not in business according to the market "
                                "regulator."),
    EMPLOYER_BLACK_LISTED: _("Your employer is on the black list of untrustworthy enterprises."),
    EMPLOYER_BLACK_LIST_UNKNOWN: _("Whether your employer is on the black list could not be "
                                   "read now."),
}  # fmt: skip


@dataclass
class PolicyCheck:
    """One open policy for employees, decided for the person now: "qualifies", "nearly"
    (one condition short), "unknown" (a department did not answer: never a refusal),
    "no", or "claimed" (a claim this period already: its page says the rest)."""

    version: PolicyVersion
    stage: str
    amount: Decimal | None = None
    criteria: list[PersonCriterion] = field(default_factory=list)
    reason: str = ""
    claim: Claim | None = None

    @property
    def policy(self) -> Policy:
        return self.version.policy

    @property
    def can_claim(self) -> bool:
        return self.stage == "qualifies" and self.claim is None


def open_person_versions(day: date) -> list[PolicyVersion]:
    """The published versions paying persons open on `day`."""
    return list(
        published_versions()
        .filter(beneficiary=Beneficiary.PERSON, valid_from__lte=day, valid_until__gte=day)
        .select_related("policy__department")
        .order_by("policy__code")
    )


def _rows_of(decision: Decision) -> list[PersonCriterion]:
    departments = {d.code: d.name for d in Department.objects.all()}
    rows = []
    for row in decision.explanation():
        label = row.get("label") or {}
        fetched = row.get("fetched_at")
        rows.append(PersonCriterion(
            label=pick(label.get("zh", ""), label.get("en", "")), fact=row.get("fact", ""),
            value_text=display_value(row.get("fact", ""), row.get("value")), met=row.get("met"),
            alternative=bool(row.get("alternative")), negated=bool(row.get("negated")),
            department=departments.get(row.get("department", ""), row.get("department", "")),
            read_at=datetime.fromisoformat(fetched) if fetched else None,
        ))  # fmt: skip
    return rows


def _stage(decision: Decision, rows: list[PersonCriterion]) -> str:
    if decision.status == ELIGIBLE:
        return "qualifies"
    if decision.status == UNKNOWN:
        return "unknown"
    if decision.status == INELIGIBLE and not decision.employer_reason:
        required_failed = [row for row in rows if row.met is False and not row.alternative]
        alternatives = [row for row in rows if row.alternative]
        short = len(required_failed)
        if alternatives and not any(row.met for row in alternatives):
            short += 1
        if short <= 1:
            return "nearly"
    return "no"


def check_policies(user: Any, person: Person, day: date | None = None) -> list[PolicyCheck]:
    """Every open policy for employees, decided for the person now (policies.evaluation.
    evaluate_for_person: their facts and their employer's through the hub, each read
    logged with QUALIFY_PURPOSE). A policy the person already has a claim on this period
    is not read again: the claim says it."""
    day = day or timezone.localdate()
    versions = open_person_versions(day)
    claimed = {(claim.policy_id, claim.period): claim for claim in claims_of(user, person)
               .filter(policy_id__in=[version.policy_id for version in versions])}  # fmt: skip
    checks = []
    for version in versions:
        claim = claimed.get((version.policy_id, period_key(version, day)))
        if claim is not None:
            checks.append(PolicyCheck(version, "claimed", claim.amount, claim=claim))
            continue
        decision = evaluate_for_person(version, person, purpose=QUALIFY_PURPOSE,
                                       requested_by=user)  # fmt: skip
        rows = _rows_of(decision)
        checks.append(PolicyCheck(
            version, _stage(decision, rows), decision.amount, rows,
            reason=str(EMPLOYER_WORDS.get(decision.employer_reason, "")),
        ))  # fmt: skip
    return checks
