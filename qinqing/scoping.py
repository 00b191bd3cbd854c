"""The one answer to "what may this user see": declared once per model, applied everywhere.

A scoped model says how its rows relate to an enterprise, a department, a district and the
users who own them, as Open Zaak declares `authorizations_lookup` on a queryset:

    class Claim(models.Model):
        reach = Reach(enterprise="enterprise", department="policy__department",
                      district="enterprise__district")

and every page, API view, export and partner client asks `visible_to(user, queryset)`. The
rules about roles live here and nowhere else:

- nobody signed in, an inactive account, or an official of a deactivated department: nothing;
- auditors and administrators: every row (they read, they never write);
- officials: rows of their own department (when the model names one), within their district
  when they are district-scoped (when the model names one) — a model with neither is
  visible to every official; `officials=False` keeps them out;
- enterprise members: rows of the enterprises they are members of;
- private persons: rows about themselves (`person`: the path to the register's Person,
  whose `user` is their login), nothing else;
- anyone: rows they own (`own`: the applicant, the requester, the subscription's owner).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet


@dataclass(frozen=True)
class Reach:
    """How a model's rows relate to the people who may see them (paths as in `filter()`)."""

    # Path to the enterprise; "self" on the enterprise model itself.
    enterprise: str | None = None
    # Path to the person a row is about (enterprises.persons.Person); "self" on Person.
    person: str | None = None
    department: str | None = None
    district: str | None = None
    own: Sequence[str] = ()
    officials: bool = True
    auditors: bool = True
    # A path crosses a to-many relation (an application's items): rows are de-duplicated.
    many: bool = False
    # What an enterprise member's rows must also satisfy (filter() lookups): a person's
    # claim names the employer but is the person's, (("person__isnull", True),).
    members_only: tuple[tuple[str, Any], ...] = ()


def is_active_user(user: Any) -> bool:
    """Signed in, active, and — for an official — working for a department still active."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if getattr(user, "is_official", False):
        department = user.department
        return department is not None and department.is_active
    return True


def sees_everything(user: Any) -> bool:
    return is_active_user(user) and user.sees_everything


def is_acting_official(user: Any) -> bool:
    """An active official of an active department: who may open the officials' pages and
    act for a department (what they then see is still `visible_to`'s)."""
    return is_active_user(user) and user.is_official


def reads_as_official(user: Any) -> bool:
    """An acting official, an auditor or an administrator: the officials' read-only pages."""
    return is_acting_official(user) or sees_everything(user)


def official_covers(
    user: Any,
    *,
    department_id: int | None = None,
    district_id: int | None = None,
    any_department: bool = False,
) -> bool:
    """Does this active official's remit cover a row of that department and district? The
    same rule as `visible_to`, for one object (permission checks of services)."""
    if not (is_active_user(user) and user.is_official):
        return False
    if not any_department and department_id != user.department_id:
        return False
    return user.district_id is None or user.district_id == district_id


def is_member(user: Any, enterprise_id: int | None) -> bool:
    """Is this active user a member of that enterprise?"""
    if enterprise_id is None or not is_active_user(user):
        return False
    return user.enterprise_memberships.filter(enterprise_id=enterprise_id).exists()


def member_enterprise_ids(user: Any) -> list[int]:
    """The enterprises this active user is a member of (none for anyone inactive): where a
    member's own lists start (the rosters an employer has to confirm)."""
    if not is_active_user(user):
        return []
    return list(user.enterprise_memberships.values_list("enterprise_id", flat=True))


def rule_for(user: Any, reach: Reach) -> Q | None:
    """The filter a user's rows satisfy, None for every row; an empty `Q(pk__in=[])` for
    none. The one place where roles turn into row filters."""
    if not is_active_user(user):
        return Q(pk__in=[])
    if user.sees_everything and reach.auditors:
        return None
    allowed = Q(pk__in=[])
    for path in reach.own:
        allowed |= Q(**{path: user})
    if user.is_official and reach.officials:
        official = Q()
        if reach.department:
            official &= Q(**{f"{reach.department}__id": user.department_id})
        if reach.district and user.district_id is not None:
            official &= Q(**{f"{reach.district}__id": user.district_id})
        if not official:
            # Nothing narrows this official's rows (a model naming neither a department nor
            # a district, or a city-wide official on a model naming only a district): every
            # row. An empty Q() would vanish from the OR below and give none instead.
            return None
        allowed |= official
    if user.is_enterprise_member and reach.enterprise:
        member = _join(reach.enterprise, "memberships__user")
        allowed |= Q(**{member: user}, **dict(reach.members_only))
    if getattr(user, "is_person", False) and reach.person:
        allowed |= Q(**{_join(reach.person, "user"): user})
    return allowed


def _join(path: str, rest: str) -> str:
    """`enterprise` + `memberships__user`, `person` + `user`; "self" is the model itself
    (the register)."""
    return rest if path == "self" else f"{path}__{rest}"


def visible_to(user: Any, rows: QuerySet | type[models.Model]) -> QuerySet:
    """The rows of `rows` (a queryset or a model) this user may see, by the model's `reach`."""
    queryset = rows._default_manager.all() if isinstance(rows, type) else rows
    reach: Reach = queryset.model.reach
    rule = rule_for(user, reach)
    if rule is None:
        return queryset
    if rule == Q(pk__in=[]):
        return queryset.none()
    if reach.many or (reach.enterprise and user.is_enterprise_member):
        # Joins through memberships or items could repeat a row: filter by key instead.
        inner = queryset.model._base_manager.filter(rule).values("pk")
        return queryset.filter(pk__in=inner)
    return queryset.filter(rule)


def may_see(user: Any, obj: models.Model) -> bool:
    """One object, by the same rule (a detail page's 404, an API's object lookup)."""
    return visible_to(user, type(obj)._base_manager.filter(pk=obj.pk)).exists()
