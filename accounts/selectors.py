"""Who works where: the officials an item or request of a department goes to."""

from django.db.models import Q, QuerySet

from .models import Role, User


def officials_of(department_id: int, district_id: int | None = None) -> QuerySet[User]:
    """Active officials of the department who cover the district: its own officials and
    the city-wide ones (no district)."""
    officials = User.objects.filter(role=Role.OFFICIAL, is_active=True, department_id=department_id)
    return officials.filter(Q(district__isnull=True) | Q(district_id=district_id))


def supervisors_of(department_id: int) -> list[int]:
    """Who is told when the department's work is overdue: its supervisors, or, when it has
    none, its city-wide officials."""
    officials = User.objects.filter(role=Role.OFFICIAL, is_active=True, department_id=department_id)
    supervisors = list(officials.filter(is_supervisor=True).values_list("pk", flat=True))
    return supervisors or list(officials.filter(district__isnull=True).values_list("pk", flat=True))
