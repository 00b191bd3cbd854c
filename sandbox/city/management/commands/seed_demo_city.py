"""The whole demo city for `make run`, in order: the register and the demo logins, the
departments' bulk extracts, the demo policies, data reads, claims and approvals, then the
story around the demo logins and a year of history, and the dashboards refreshed.

Each step is idempotent, so a second `make run` adds nothing and is quick."""

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

EXTRACTS_PURPOSE = "演示：初始化批量抽取 (demo: bulk extracts after seeding)"


class Command(BaseCommand):
    help = "Build the demo city for `make run` (every seed in order; idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--enterprises", type=int, default=3000, help="the register's size")

    def handle(self, *args: Any, enterprises: int, **options: Any) -> None:
        began = time.perf_counter()
        steps: list[tuple[str, dict[str, Any]]] = [
            ("seed_demo", {"enterprises": enterprises}),
            ("refresh_extracts", {"purpose": EXTRACTS_PURPOSE}),
            ("seed_demo_policies", {}),
            ("demo_data_reads", {}),
            ("seed_demo_claims", {}),
            ("seed_demo_approvals", {}),
            ("refresh_dashboards", {}),
        ]
        for name, options_of_step in steps:
            started = time.perf_counter()
            call_command(name, stdout=self.stdout, stderr=self.stderr, **options_of_step)
            self.stdout.write(f"[{name}: {time.perf_counter() - started:.1f} s]")
        self.stdout.write(
            self.style.SUCCESS(f"Demo city ready in {time.perf_counter() - began:.1f} s.")
        )
