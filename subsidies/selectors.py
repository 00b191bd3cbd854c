"""Reading claims, payments and runs: every list filtered by the one scoping rule
(qinqing.scoping, each model's `reach`)."""

from collections.abc import Collection, Iterable

from django.db.models import Q, QuerySet
from django.urls import reverse

from accounts.models import User
from policies.models import DeliveryMode
from policies.selectors import ClaimState
from qinqing.scoping import Reach, is_member, official_covers, rule_for, visible_to

from .models import BatchRun, Claim, ClaimStatus, Disbursement, ReconciliationRun


def claims_visible_to(user: User) -> QuerySet[Claim]:
    """Members: their enterprises' claims. Officials: claims on their department's policies
    (in their district, when district-scoped). Auditors and administrators: all."""
    return visible_to(user, Claim.objects.select_related("enterprise", "policy", "version"))


def disbursements_visible_to(user: User) -> QuerySet[Disbursement]:
    """Officials (their department's policies, in their district) and auditors."""
    return visible_to(user, Disbursement.objects.select_related("claim__enterprise",
                                                                "claim__policy"))  # fmt: skip


def can_review_claim(user: User, claim: Claim) -> bool:
    """Apply-mode claims are reviewed by officials of the policy's department (for their
    district when district-scoped), never by a member of the claiming enterprise."""
    if claim.policy.delivery_mode != DeliveryMode.APPLY:
        return False
    if not official_covers(user, department_id=claim.policy.department_id,
                           district_id=claim.enterprise.district_id):  # fmt: skip
        return False
    return not is_member(user, claim.enterprise_id)


# The review queue reaches the reviewers only: officials of the policy's department (in
# their district), auditors and administrators; never the enterprises' members.
REVIEWERS = Reach(department="policy__department", district="enterprise__district")


def claims_awaiting_review(user: User) -> QuerySet[Claim]:
    """The review queue: claims waiting for an official, oldest first. Officials see the
    ones they may decide; auditors and administrators all of them (read only)."""
    waiting = Claim.objects.filter(status=ClaimStatus.IN_REVIEW)
    rule = rule_for(user, REVIEWERS)
    if rule is not None:
        waiting = waiting.filter(rule)
    return waiting.select_related("enterprise__district", "policy__department", "version").order_by(
        "created_at", "id"
    )


def reconciliation_runs() -> QuerySet[ReconciliationRun]:
    return ReconciliationRun.objects.select_related("triggered_by")


def batch_runs_visible_to(user: User) -> QuerySet[BatchRun]:
    """Officials: their department's policies' runs. Auditors and administrators: all."""
    return visible_to(user, BatchRun.objects.select_related("version__policy"))


# What a claim's state means to the enterprise (policies.selectors.ClaimState.stage).
STAGES = {
    ClaimStatus.PAID: "paid",
    ClaimStatus.OFFERED: "offered",
    **dict.fromkeys(
        (ClaimStatus.INELIGIBLE, ClaimStatus.REJECTED, ClaimStatus.BUDGET_EXHAUSTED,
         ClaimStatus.WITHDRAWN), "closed"),
}  # fmt: skip


def claims_in_periods(
    periods: Iterable[tuple[int, str]], enterprise_ids: Collection[int] | None = None
) -> QuerySet[Claim]:
    """The claims of these (policy id, period) pairs, of these enterprises (None: all):
    what a new claim would run into (one claim per enterprise, policy and period)."""
    wanted = Q()
    for policy_id, period in set(periods):
        wanted |= Q(policy_id=policy_id, period=period)
    if not wanted:
        return Claim.objects.none()
    claims = Claim.objects.filter(wanted).select_related("disbursement")
    if enterprise_ids is not None:
        claims = claims.filter(enterprise_id__in=list(enterprise_ids))
    return claims.only("pk", "enterprise_id", "policy_id", "status", "amount",
                       "disbursement__confirmed_at", "disbursement__status")  # fmt: skip


def claim_state(claim: Claim) -> ClaimState:
    """The claim as the pages of policies show it."""
    disbursement = getattr(claim, "disbursement", None)
    return ClaimState(
        claim_id=claim.pk, stage=STAGES.get(claim.status, "in_progress"), status=claim.status,
        label=str(ClaimStatus(claim.status).label), amount=claim.amount,
        paid_at=disbursement.confirmed_at if disbursement is not None else None,
        url=reverse("subsidies:claim", args=[claim.pk]),
        accept_url=(reverse("subsidies:confirm", args=[claim.pk])
                    if claim.status == ClaimStatus.OFFERED else ""),
    )  # fmt: skip
