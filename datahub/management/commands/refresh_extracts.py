from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from datahub.snapshots import extract_departments, refresh_extract


class Command(BaseCommand):
    help = "Rebuild the departments' bulk extracts now (each refresh is logged with its purpose)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--department", action="append", help="department code (repeatable)")
        parser.add_argument("--purpose", required=True, help="why the data is being read")

    def handle(self, *args: Any, department: list[str] | None, purpose: str, **options: Any):
        available = set(extract_departments())
        chosen = department or sorted(available)
        unknown = sorted(set(chosen) - available)
        if unknown:
            raise CommandError(
                f"no extract for {', '.join(unknown)}; choose from {', '.join(sorted(available))}"
            )
        for code in chosen:
            refresh = refresh_extract(code, purpose=purpose)
            self.stdout.write(f"{code:<10} {refresh.rows:>9,} rows in {refresh.seconds:.2f} s")
