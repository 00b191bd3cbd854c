"""The whole demo city for `make run`, in order: the register and the demo logins, the
departments' bulk extracts, the demo policies, data reads, claims and approvals, then the
story around the demo logins and a year of history, the cases of issues #22/#23 (fact
disputes, a recovery order, a watch: seed_demo_cases), and the dashboards refreshed.

Each step is idempotent, so a second `make run` adds nothing and is quick."""

import time
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from accounts.models import User
from sandbox.city.logins import DEMO_PASSWORD, DEMO_USERS
from sandbox.city.management.commands.seed_demo_approvals import DEMO_OFFICIALS, FOUNDER
from sandbox.city.management.commands.seed_demo_persons import CITY_PERSONS
from sandbox.city.management.commands.seed_demo_persons import USERNAME as PERSON_LOGIN

EXTRACTS_PURPOSE = "演示：初始化批量抽取 (demo: bulk extracts after seeding)"


class Command(BaseCommand):
    help = "Build the demo city for `make run` (every seed in order; idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--enterprises", type=int, default=3000, help="the register's size")
        parser.add_argument(
            "--scale", type=float, default=1.0, help="multiply the year of history's volumes"
        )

    def handle(self, *args: Any, enterprises: int, scale: float, **options: Any) -> None:
        began = time.perf_counter()
        steps: list[tuple[str, dict[str, Any]]] = [
            ("seed_demo", {"enterprises": enterprises}),
            ("seed_demo_persons", {"persons": CITY_PERSONS}),
            ("refresh_extracts", {"purpose": EXTRACTS_PURPOSE}),
            ("seed_demo_policies", {}),
            ("demo_data_reads", {}),
            ("seed_demo_claims", {}),
            ("seed_demo_approvals", {}),
            ("seed_demo_story", {"scale": scale}),
            ("seed_demo_cases", {}),
            ("refresh_dashboards", {}),
        ]
        for name, options_of_step in steps:
            started = time.perf_counter()
            call_command(name, stdout=self.stdout, stderr=self.stderr, **options_of_step)
            self.stdout.write(f"[{name}: {time.perf_counter() - started:.1f} s]")
        self.stdout.write(
            self.style.SUCCESS(f"Demo city ready in {time.perf_counter() - began:.1f} s.")
        )
        self._logins()

    def _logins(self) -> None:
        """Every demo login once more at the end, where the newcomer looks."""
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        described = {row[0]: row[-1] for row in (*DEMO_USERS, *DEMO_OFFICIALS, FOUNDER)}
        described[PERSON_LOGIN] = "a private person: an employee (My data, My subsidies)"
        # The generator's officials and members have no usable password: not logins.
        logins = User.objects.exclude(password="").exclude(
            password__startswith=UNUSABLE_PASSWORD_PREFIX
        )
        for user in logins.order_by("pk"):
            shows = described.get(user.username)
            if shows is None:
                shows = user.department.name_en if user.department_id else user.role
                shows += f", {user.district.code}" if user.district_id else ", city-wide"
            self.stdout.write(f"  {user.username:<18} {shows}")
