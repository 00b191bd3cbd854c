from django.db.models import Q, QuerySet

from accounts.models import User

from .models import Claim, Disbursement


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
