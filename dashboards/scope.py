"""Who sees which figures, and the filters a page was asked for.

Who is who comes from `qinqing.scoping`, the one place that knows the roles: nobody
signed in, an inactive account or an official of a deactivated department has no
dashboards; auditors and administrators see the whole city; an active official sees
their department, within their district when they have one. Enterprise members have no
dashboards.

The dashboards add one rule of their own on top: officials of the departments that oversee
the platform for the city (settings.DASHBOARD_CITY_DEPARTMENTS: the General Office and the
Data Resources Bureau) see every department — the whole city, or their district when
they have one.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings

from accounts.models import User
from qinqing.scoping import official_covers, sees_everything


@dataclass(frozen=True)
class Scope:
    district_id: int | None = None
    department_id: int | None = None


def scope_of(user: User) -> Scope | None:
    """The reach of `user`'s dashboards; None when they have none."""
    if sees_everything(user):
        return Scope()
    if not _is_active_official(user):
        return None
    if user.department.code in city_departments():
        return Scope(district_id=user.district_id)
    return Scope(district_id=user.district_id, department_id=user.department_id)


def _is_active_official(user: User) -> bool:
    """An active official of an active department, asked of the scoping module: its remit
    covers its own department and district exactly when it is one."""
    return official_covers(
        user,
        department_id=getattr(user, "department_id", None),
        district_id=getattr(user, "district_id", None),
    )


def city_departments() -> set[str]:
    return set(settings.DASHBOARD_CITY_DEPARTMENTS)


@dataclass(frozen=True)
class Period:
    """All time, one calendar year, or one month."""

    kind: str = "all"  # "all" | "year" | "month"
    start: date | None = None

    @property
    def end(self) -> date | None:
        """The first day after the period."""
        if self.start is None:
            return None
        if self.kind == "year":
            return date(self.start.year + 1, 1, 1)
        year, month = divmod(self.start.month, 12)
        return date(self.start.year + year, month + 1, 1)

    @property
    def code(self) -> str:
        if self.kind == "year" and self.start:
            return f"{self.start:%Y}"
        if self.kind == "month" and self.start:
            return f"{self.start:%Y-%m}"
        return ""

    @classmethod
    def parse(cls, code: str) -> "Period":
        """ "" → all time; "2026" → that year; "2026-11" → that month. ValueError otherwise."""
        code = (code or "").strip()
        if not code:
            return cls()
        if len(code) == 4 and code.isdigit():
            return cls("year", date(int(code), 1, 1))
        if len(code) == 7 and code[4] == "-" and code[:4].isdigit() and code[5:].isdigit():
            return cls("month", date(int(code[:4]), int(code[5:]), 1))
        raise ValueError(code)


@dataclass(frozen=True)
class Filters:
    period: Period = Period()
    district_id: int | None = None
    department_id: int | None = None
    policy_id: int | None = None
    industry: str = ""

    def within(self, scope: Scope) -> "Filters":
        """The filters narrowed to what the scope allows (callers refuse a filter outside
        it before this; here the scope simply wins)."""
        return Filters(
            period=self.period,
            district_id=scope.district_id or self.district_id,
            department_id=scope.department_id or self.department_id,
            policy_id=self.policy_id,
            industry=self.industry,
        )
