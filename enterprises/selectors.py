"""Reading enterprises, always through a scope: nobody lists what is not theirs."""

from django.db.models import QuerySet

from accounts.models import User

from .models import Enterprise


def enterprises_visible_to(user: User) -> QuerySet[Enterprise]:
    """Members see their enterprises; officials their district (or the city when they are
    not district-scoped); auditors and administrators everything; anyone else nothing."""
    enterprises = Enterprise.objects.select_related("district")
    if not user.is_authenticated or not user.is_active:
        return enterprises.none()
    if user.sees_everything:
        return enterprises.all()
    if user.is_official:
        if user.district_id is None:
            return enterprises.all()
        return enterprises.filter(district_id=user.district_id)
    if user.is_enterprise_member:
        return enterprises.filter(memberships__user=user)
    return enterprises.none()


def can_edit_enterprise(user: User, enterprise: Enterprise) -> bool:
    """Only the enterprise's own members change its contact and bank details."""
    return (
        user.is_authenticated
        and user.is_enterprise_member
        and enterprise.memberships.filter(user=user).exists()
    )
