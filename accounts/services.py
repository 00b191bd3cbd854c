"""Creating and changing users; each change is audited."""

from django.db import transaction

from departments.models import Department, District
from qinqing.audit.services import record_event, snapshot

from .models import Role, User

_AUDITED_FIELDS = ["username", "role", "department_id", "district_id", "is_active", "is_staff"]


def apply_role_flags(user: User) -> None:
    """The role decides back-office access, so the flags can never disagree with it:
    auditors get the (read-only) back office, administrators run it, nobody else enters."""
    user.is_staff = user.role in (Role.AUDITOR, Role.ADMIN)
    user.is_superuser = user.role == Role.ADMIN


@transaction.atomic
def create_user(
    *,
    username: str,
    password: str | None,
    role: Role,
    display_name: str = "",
    email: str = "",
    department: Department | None = None,
    district: District | None = None,
    created_by: User | None = None,
) -> User:
    """Roles decide back-office access: auditors read it, administrators run it."""
    user = User(
        username=username,
        role=role,
        display_name=display_name,
        email=email,
        department=department if role == Role.OFFICIAL else None,
        district=district if role == Role.OFFICIAL else None,
    )
    apply_role_flags(user)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    record_event(
        actor=created_by, action="user.create", obj=user, after=snapshot(user, _AUDITED_FIELDS)
    )
    return user
