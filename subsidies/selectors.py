from django.db.models import Q, QuerySet

from accounts.models import User
from policies.models import DeliveryMode

from .models import BatchRun, Claim, ClaimStatus, Disbursement, ReconciliationRun


def claims_visible_to(user: User) -> QuerySet[Claim]:
    """Members: their enterprises' claims. Officials: claims on their department's policies
    (in their district, when district-scoped). Auditors and administrators: all."""
    claims = Claim.objects.select_related("enterprise", "policy", "version")
    if not user.is_authenticated or not user.is_active:
        return claims.none()
    if user.sees_everything:
        return claims.all()
    if user.is_official:
        scope = Q(policy__department_id=user.department_id)
        if user.district_id is not None:
            scope &= Q(enterprise__district_id=user.district_id)
        return claims.filter(scope)
    if user.is_enterprise_member:
        return claims.filter(enterprise__memberships__user=user)
    return claims.none()


def disbursements_visible_to(user: User) -> QuerySet[Disbursement]:
    if not user.is_authenticated or not (user.is_official or user.sees_everything):
        return Disbursement.objects.none()
    return Disbursement.objects.filter(claim__in=claims_visible_to(user)).select_related(
        "claim__enterprise", "claim__policy"
    )


def can_review_claim(user: User, claim: Claim) -> bool:
    """Apply-mode claims are reviewed by officials of the policy's department (for their
    district when district-scoped), never by a member of the claiming enterprise."""
    if not (user.is_authenticated and user.is_active and user.is_official):
        return False
    if claim.policy.delivery_mode != DeliveryMode.APPLY:
        return False
    if user.department_id != claim.policy.department_id:
        return False
    if user.district_id is not None and user.district_id != claim.enterprise.district_id:
        return False
    return not claim.enterprise.memberships.filter(user=user).exists()


def claims_awaiting_review(user: User) -> QuerySet[Claim]:
    """The review queue: claims waiting for an official, oldest first. Officials see the
    ones they may decide; auditors and administrators all of them (read only)."""
    waiting = claims_visible_to(user).filter(status=ClaimStatus.IN_REVIEW)
    if not (user.is_official or user.sees_everything):
        return waiting.none()
    return waiting.select_related("enterprise__district", "policy__department").order_by(
        "created_at", "id"
    )


def reconciliation_runs() -> QuerySet[ReconciliationRun]:
    return ReconciliationRun.objects.select_related("triggered_by")


def batch_runs_visible_to(user: User) -> QuerySet[BatchRun]:
    """Officials: their department's policies' runs. Auditors and administrators: all."""
    runs = BatchRun.objects.select_related("version__policy")
    if not user.is_authenticated or not user.is_active:
        return runs.none()
    if user.sees_everything:
        return runs.all()
    if user.is_official:
        return runs.filter(version__policy__department_id=user.department_id)
    return runs.none()
