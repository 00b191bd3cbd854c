"""The demo's private person (issue #26): an employee of the "enterprise" login's first
enterprise, with a login of their own, so a newcomer can see a person's pages.

Their identity number is found, not invented: the first number (born 1996-2000 in Xihu)
that the simulated social insurance places at that enterprise, with no home in the city
(the employee rent subsidy's typical beneficiary). One read of their facts is made for
the demo, so "My data" is not empty. Idempotent: a rerun adds nothing.
"""

from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import create_user
from datahub.catalogue import PERSON_CATALOGUE
from datahub.fetching.pipeline import fetch_person_facts
from enterprises.models import Enterprise, EnterpriseStatus
from enterprises.persons.models import Person
from enterprises.persons.services import link_login, register_many, register_person
from qinqing.resident_ids import make_resident_id
from sandbox.city.logins import DEMO_PASSWORD
from sandbox.departments.persons import register_ring, simulate_persons

USERNAME = "person"
NAME = "陈小青"
XIHU = "330106"
DEMO_READ_PURPOSE = "演示：员工租房补贴资格预审 (demo: employee rent subsidy pre-check)"
_FACTS = [
    "person.hrss.insured",
    "person.hrss.employer_uscc",
    "person.housing.owns_home",
    "person.hrss.months_paid",
]
# The demo city's other residents: a few hundred registered persons (seed_demo_city asks
# for them), so the employee rent subsidy's batch run pays a crowd, not one person.
PERSONS = 0
CITY_PERSONS = 300
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "磊",
    "洋",
    "艳",
    "勇",
    "杰",
    "婷",
    "强",
    "军",
    "丽",
    "涛",
    "明",
    "超",
    "霞",
    "平",
    "刚",
    "晨",
    "宇",
    "欣",
    "怡",
]
_REGIONS = ("330102", "330105", "330106", "330108", "330109", "330110")


def demo_number(employer: str, as_of: date) -> str | None:
    """The first number the simulation insures at `employer`, with no home in the city."""
    ring = register_ring()
    for year in range(1996, 2001):
        days = [date(year, 1, 1) + timedelta(days=n) for n in range(0, 365, 3)]
        numbers = [make_resident_id(XIHU, day, seq) for day in days for seq in range(1, 200)]
        columns = simulate_persons(numbers, _FACTS, as_of, ring)
        for row, number in enumerate(numbers):
            if (columns["person.hrss.employer_uscc"][row] == employer
                    and columns["person.hrss.insured"][row]
                    and columns["person.hrss.months_paid"][row] >= 6
                    and not columns["person.housing.owns_home"][row]):  # fmt: skip
                return number
    return None


def demo_residents(count: int) -> list[tuple[str, str]]:
    """(identity number, name) of `count` residents, the same on every run: born 1975-2003
    across the city's districts."""
    rows = []
    for index in range(count):
        born = date(1975 + index % 29, 1 + index % 12, 1 + (index * 7) % 28)
        number = make_resident_id(_REGIONS[index % len(_REGIONS)], born, 300 + index % 600)
        name = _SURNAMES[index % len(_SURNAMES)] + _GIVEN[(index * 5) % len(_GIVEN)]
        if index % 3:
            name += _GIVEN[(index * 11 + 3) % len(_GIVEN)]
        rows.append((number, name))
    return rows


class Command(BaseCommand):
    help = "Create the demo's private person and their login (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--persons",
            type=int,
            default=PERSONS,
            help=f"residents registered besides the demo login (default {PERSONS})",
        )

    def handle(self, *args: Any, persons: int = PERSONS, **options: Any) -> None:
        made = register_many(demo_residents(max(0, persons)))
        self.stdout.write(f"Demo residents: {made} registered ({Person.objects.count()} in all).")
        user = User.objects.filter(username=USERNAME).first()
        if user is not None and Person.objects.filter(user=user).exists():
            self.stdout.write("Demo person already there.")
            return
        employer = (
            Enterprise.objects.filter(
                status=EnterpriseStatus.ACTIVE, memberships__user__username="enterprise"
            )
            .order_by("id")
            .first()
        )
        if employer is None:
            raise SystemExit("No demo enterprise: run `manage.py seed_demo` first.")
        number = demo_number(employer.uscc, timezone.localdate())
        if number is None:
            self.stderr.write("No identity number places a demo person at the demo enterprise.")
            return
        with transaction.atomic():
            if user is None:
                user = create_user(username=USERNAME, password=DEMO_PASSWORD, role=Role.PERSON,
                                   display_name=NAME)  # fmt: skip
            person = register_person(number=number, name=NAME)
            link_login(person=person, user=user)
        fetch_person_facts(person, list(PERSON_CATALOGUE), purpose=DEMO_READ_PURPOSE)
        self.stdout.write(self.style.SUCCESS(
            f"Demo person {person} insured at {employer.name}: login {USERNAME!r}."
        ))  # fmt: skip
