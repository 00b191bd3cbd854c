"""Who works where: the officials an item or request of a department goes to."""

from django.db.models import Q, QuerySet

from .models import Role, User


def department_officials(department_id: int) -> QuerySet[User]:
    """The department's active officials, whatever their district: whom its work may go to."""
    return User.objects.filter(role=Role.OFFICIAL, is_active=True, department_id=department_id)


def officials_of(department_id: int, district_id: int | None = None) -> QuerySet[User]:
    """Active officials of the department who cover the district: its own officials and
    the city-wide ones (no district)."""
    officials = department_officials(department_id)
    return officials.filter(Q(district__isnull=True) | Q(district_id=district_id))


def supervisors_of(department_id: int) -> list[int]:
    """Who is told when the department's work is overdue: its supervisors, or, when it has
    none, its city-wide officials."""
    officials = department_officials(department_id)
    supervisors = list(officials.filter(is_supervisor=True).values_list("pk", flat=True))
    return supervisors or list(officials.filter(district__isnull=True).values_list("pk", flat=True))
