"""Reading the catalog: open policies, scoped drafts, the calculator, and what an
enterprise already holds under a policy (its claim's state, read through CLAIM_STATES)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from datahub.fetching.pipeline import fetch_facts
from enterprises.models import Enterprise
from qinqing.registry import Registry
from qinqing.scoping import visible_to

from .evaluation import Decision, evaluate_for_enterprise, is_targeted
from .models import Policy, PolicyVersion, VersionStatus

CALCULATOR_PURPOSE = "policy calculator: which open policies fit this enterprise"


def published_versions() -> QuerySet[PolicyVersion]:
    return PolicyVersion.objects.filter(status=VersionStatus.PUBLISHED)


def catalog(day: date | None = None) -> QuerySet[Policy]:
    """Every policy with a published version, its current version prefetched."""
    return (
        Policy.objects.filter(versions__status=VersionStatus.PUBLISHED)
        .select_related("department")
        .prefetch_related(
            "target_districts",
            Prefetch("versions", queryset=published_versions(), to_attr="published"),
        )
        .distinct()
    )


def versions_visible_to(user: User, policy: Policy) -> QuerySet[PolicyVersion]:
    """Everyone sees what was published; the issuing department's officials, auditors and
    administrators see drafts too."""
    versions = policy.versions.all()
    public = Q(status__in=[VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED])
    return versions.filter(public | Q(pk__in=visible_to(user, versions).values("pk")))


@dataclass(frozen=True)
class ClaimState:
    """An enterprise's claim under a policy for the period open today, as the app that
    keeps claims reports it. `stage`: "paid", "offered" (waiting for one click),
    "in_progress" (being checked, reviewed or paid) or "closed" (settled without money:
    not eligible, rejected, budget used up, withdrawn)."""

    claim_id: int
    stage: str
    status: str
    label: str
    amount: Decimal | None
    paid_at: datetime | None
    url: str
    accept_url: str = ""


# (versions, day, enterprise ids or None for all) -> {(enterprise id, policy id): state}.
ClaimStateReader = Callable[
    [Sequence[PolicyVersion], date, Collection[int] | None], dict[tuple[int, int], ClaimState]
]
# Filled by the app that keeps claims (subsidies/receivers.py): policies sits below it and
# never imports it, yet its pages and the policy push must read the claim's real state.
CLAIM_STATES: Registry[ClaimStateReader] = Registry("claim state reader")


def claim_states(versions: Sequence[PolicyVersion], *, day: date | None = None,
                 enterprise_ids: Collection[int] | None = None,
                 ) -> dict[tuple[int, int], ClaimState]:  # fmt: skip
    """Each enterprise's claim under these versions' policies for the period `day` falls in,
    keyed (enterprise id, policy id); an enterprise with nothing yet is absent."""
    day = day or timezone.localdate()
    states: dict[tuple[int, int], ClaimState] = {}
    if not versions:
        return states
    for _name, reader in CLAIM_STATES.items():
        states.update(reader(versions, day, enterprise_ids))
    return states


@dataclass(frozen=True)
class ClaimDescription:
    """One claim as the apps beside subsidies may read it (the direct line pre-fills a
    question about it): its policy, period, status in words and each criterion's row."""

    claim_id: int
    enterprise_uscc: str
    policy: Policy
    period: str
    status_label: str
    explanation: list[dict]
    # Whether the claim's period is still the policy's open one (a fact dispute on a claim
    # of a closed period is refused).
    period_open: bool = True


# (user, claim id) -> the claim if the user may see it, else None. Filled by subsidies, like
# CLAIM_STATES: the direct line asks through here instead of reaching into subsidies.
ClaimFinder = Callable[[User, int], ClaimDescription | None]
CLAIM_FINDERS: Registry[ClaimFinder] = Registry("claim finder")


def describe_claim(user: User, claim_id: int) -> ClaimDescription | None:
    """The claim `claim_id` as its app describes it, scoped to `user`; None if unknown."""
    for _name, finder in CLAIM_FINDERS.items():
        found = finder(user, claim_id)
        if found is not None:
            return found
    return None


@dataclass
class CalculatorRow:
    policy: Policy
    version: PolicyVersion
    decision: Decision
    claim: ClaimState | None = None

    @property
    def action(self) -> str:
        """What the row offers: the claim's own state when there is one (paid, offered,
        in progress, closed); only a policy with nothing yet can be claimed."""
        if self.claim is not None:
            return self.claim.stage
        if self.decision.status != "eligible":
            return "none"
        return {"automatic": "nothing_needed", "confirm": "confirm", "apply": "apply"}[
            self.policy.delivery_mode
        ]


def calculator(enterprise: Enterprise, *, requested_by: User | None = None,
               day: date | None = None) -> list[CalculatorRow]:  # fmt: skip
    """Every open policy with the enterprise's status, reasons and amount. The facts all
    open policies need are read once, in one concurrent fetch."""
    day = day or timezone.localdate()
    versions = [
        version for version in published_versions().select_related("policy__department")
        .prefetch_related("policy__target_districts")
        # A policy paid to employees in person is not the enterprise's to claim.
        if version.valid_from <= day <= version.valid_until and not version.pays_persons
    ]  # fmt: skip
    needed = sorted({name for version in versions if is_targeted(version.policy, enterprise)
                     for name in version.rules.fact_names})  # fmt: skip
    facts = (fetch_facts(enterprise, needed, purpose=CALCULATOR_PURPOSE,
                         requested_by=requested_by, as_of=day) if needed else None)  # fmt: skip
    held = claim_states(versions, day=day, enterprise_ids=[enterprise.pk])
    rows = [
        CalculatorRow(version.policy, version, evaluate_for_enterprise(
            version, enterprise, purpose=CALCULATOR_PURPOSE, as_of=day, facts=facts),
            held.get((enterprise.pk, version.policy_id)))
        for version in versions
    ]  # fmt: skip
    order = {"eligible": 0, "unknown": 1, "ineligible": 2, "not_targeted": 3}
    return sorted(rows, key=lambda row: (order[row.decision.status], row.policy.code))


def search_catalog(policies: QuerySet[Policy], *, q: str = "", department: str = "",
                   district: str = "", industry: str = "", benefit_type: str = "",
                   status: str = "", day: date | None = None) -> QuerySet[Policy]:  # fmt: skip
    day = day or timezone.localdate()
    if q:
        policies = policies.filter(
            Q(title_zh__icontains=q)
            | Q(title_en__icontains=q)
            | Q(summary_zh__icontains=q)
            | Q(summary_en__icontains=q)
        )
    if department:
        policies = policies.filter(department__code=department)
    if district:
        policies = policies.filter(
            Q(target_districts__code=district) | Q(target_districts__isnull=True)
        )
    if industry:
        # JSON containment differs between databases; the catalog is small, so filter here.
        matching = [pk for pk, sections in policies.values_list("pk", "target_industry_sections")
                    if not sections or industry in sections]  # fmt: skip
        policies = policies.filter(pk__in=matching)
    if benefit_type:
        policies = policies.filter(benefit_type=benefit_type)
    # One subquery for "open today": excluding over the versions join would drop a closed
    # policy that also has a draft covering today.
    open_now = PolicyVersion.objects.filter(
        status=VersionStatus.PUBLISHED, valid_from__lte=day, valid_until__gte=day
    ).values("policy_id")
    if status == "open":
        policies = policies.filter(pk__in=open_now)
    elif status == "closed":
        policies = policies.exclude(pk__in=open_now)
    return policies.distinct()
