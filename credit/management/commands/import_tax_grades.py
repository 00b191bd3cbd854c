import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from credit.records.imports import import_tax_grades
from datahub.extracts.reading import SnapshotMissing


class Command(BaseCommand):
    help = (
        "Import the tax authority's credit grades (A/B/M/C/D) from the taxation bulk extract "
        "as credit records, then recompute the grades and lists concerned. Idempotent."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = import_tax_grades()
        except SnapshotMissing as error:
            raise CommandError(
                f"{error}: run `manage.py refresh_extracts --department taxation --purpose ...` "
                "first"
            ) from error
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
