from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from datahub.extracts.refresh import refresh_subject
from datahub.extracts.subjects import extract_departments, person_extract_departments
from datahub.models import Subject


class Command(BaseCommand):
    help = (
        "Rebuild the departments' bulk extracts now, the enterprises' and then the persons' "
        "(each refresh is logged with its purpose)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--department", action="append", help="department code (repeatable)")
        parser.add_argument("--purpose", required=True, help="why the data is being read")
        parser.add_argument(
            "--subject",
            choices=["all", *Subject.values],
            default="all",
            help="whose extracts: enterprises', persons' or both (the default)",
        )

    def handle(self, *args: Any, department: list[str] | None, purpose: str, subject: str,
               **options: Any):  # fmt: skip
        offered = {
            Subject.ENTERPRISE: set(extract_departments()),
            Subject.PERSON: set(person_extract_departments()),
        }
        subjects = list(offered) if subject == "all" else [Subject(subject)]
        available = set().union(*(offered[chosen] for chosen in subjects))
        unknown = sorted(set(department or ()) - available)
        if unknown:
            raise CommandError(
                f"no extract for {', '.join(unknown)}; choose from {', '.join(sorted(available))}"
            )
        for chosen in subjects:
            codes = sorted(offered[chosen] & set(department)) if department else sorted(
                offered[chosen])  # fmt: skip
            for code in codes:
                refresh = refresh_subject(chosen, code, purpose=purpose)
                label = code if chosen == Subject.ENTERPRISE else f"{code} (persons)"
                self.stdout.write(f"{label:<18} {refresh.rows:>9,} rows in {refresh.seconds:.2f} s")
