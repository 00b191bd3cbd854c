"""Deterministic demo data: enterprises with valid codes, and one login per role."""

from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from accounts.models import User
from accounts.services import create_user
from departments.models import Department, District
from enterprises.models import Enterprise, EnterpriseStatus, MemberRole
from enterprises.services import add_member
from qinqing.iterables import chunked
from sandbox.city.logins import DEMO_PASSWORD, DEMO_USERS
from sandbox.city.register import DemoEnterprise, demo_enterprises
from sandbox.departments.simulation import RegisterColumns, simulate

BATCH_SIZE = 2000
STANDING_FACT = "market.registration_status"


class Command(BaseCommand):
    help = "Create deterministic demo data (idempotent: a rerun adds only what is missing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--enterprises", type=int, default=3000, help="how many (default 3000)")
        parser.add_argument("--seed", type=int, default=2021, help="random seed (default 2021)")

    def handle(self, *args: Any, enterprises: int, seed: int, **options: Any) -> None:
        if enterprises < 3:
            self.stderr.write("--enterprises must be at least 3 (the demo logins need them).")
            raise SystemExit(2)
        created = self._seed_enterprises(enterprises, seed)
        self._seed_users()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {created} enterprises created, "
                f"{Enterprise.objects.count()} in the register."
            )
        )
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, _role, _name, _dept, _district, shows in DEMO_USERS:
            self.stdout.write(f"  {username:<14} {shows}")

    def _seed_enterprises(self, count: int, seed: int) -> int:
        districts = {district.code: district for district in District.objects.all()}
        if not districts:
            raise SystemExit("No districts: run `manage.py migrate` first.")
        rows = demo_enterprises(
            count, seed=seed, districts=[(d.code, d.admin_code) for d in districts.values()]
        )
        created = 0
        now = timezone.now()
        progress = tqdm(total=count, desc="enterprises", unit="ent", disable=None)
        for batch in chunked(rows, BATCH_SIZE):
            existing = set(
                Enterprise.objects.filter(uscc__in=[row.uscc for row in batch]).values_list(
                    "uscc", flat=True
                )
            )
            fresh = [row for row in batch if row.uscc not in existing]
            standing = market_standing(fresh)
            new = []
            for row, status in zip(fresh, standing, strict=True):
                values = asdict(row)
                values["district"] = districts[values.pop("district_code")]
                changed = None if status == EnterpriseStatus.ACTIVE else now
                new.append(Enterprise(**values, status=status, status_changed_at=changed))
            with transaction.atomic():
                Enterprise.objects.bulk_create(new, batch_size=BATCH_SIZE)
            created += len(new)
            progress.update(len(batch))
        progress.close()
        return created

    @transaction.atomic
    def _seed_users(self) -> None:
        in_business = Enterprise.objects.filter(status=EnterpriseStatus.ACTIVE)
        first_three = list(in_business.order_by("id")[:3])
        for username, role, name, department, district, _shows in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = create_user(
                    username=username,
                    password=DEMO_PASSWORD,
                    role=role,
                    display_name=name,
                    department=Department.objects.get(code=department) if department else None,
                    district=District.objects.get(code=district) if district else None,
                )
            if username == "enterprise":
                self._member(user, first_three[0], MemberRole.LEGAL_REPRESENTATIVE)
                self._member(user, first_three[1], MemberRole.LEGAL_REPRESENTATIVE)
            elif username == "enterprise2":
                self._member(user, first_three[2], MemberRole.AGENT)

    @staticmethod
    def _member(user: User, enterprise: Enterprise, role: MemberRole) -> None:
        add_member(enterprise=enterprise, user=user, role=role, actor=None)


def market_standing(rows: list[DemoEnterprise]) -> list[str]:
    """What the (simulated) market-supervision department reports of each enterprise's
    registration, so the register agrees with it from the start: an enterprise the
    department reports deregistered or revoked is created so in the register too."""
    if not rows:
        return []
    columns = RegisterColumns.from_rows(
        [
            (
                row.uscc,
                row.size_class,
                row.registered_capital,
                row.established_on,
                row.industry_division,
                row.industry_section,
            )
            for row in rows
        ]
    )
    reported = simulate(columns, [STANDING_FACT], timezone.localdate())[STANDING_FACT]
    return [str(value) for value in reported.tolist()]
