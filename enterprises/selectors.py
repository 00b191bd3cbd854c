"""Reading enterprises, always through a scope: nobody lists what is not theirs."""

from django.db.models import QuerySet

from accounts.models import User
from qinqing.scoping import is_member, visible_to

from .models import Enterprise


def enterprises_visible_to(user: User) -> QuerySet[Enterprise]:
    """Members see their enterprises; officials their district (or the city when they are
    not district-scoped); auditors and administrators everything; anyone else nothing
    (`Enterprise.reach`, applied by qinqing.scoping)."""
    return visible_to(user, Enterprise.objects.select_related("district"))


def can_edit_enterprise(user: User, enterprise: Enterprise) -> bool:
    """Only the enterprise's own members change its contact and bank details."""
    return is_member(user, enterprise.pk)
