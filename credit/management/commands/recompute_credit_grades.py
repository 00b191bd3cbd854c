import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from credit.grades.services import recompute_all
from credit.sweep import daily_sweep


class Command(BaseCommand):
    help = (
        "Recompute every enterprise's credit grade with the scoring model in force (set-based: "
        "one grouped query, only changed rows written). --sweep runs the whole daily sweep."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--sweep",
            action="store_true",
            help="also expire records and list entries and apply the list rules",
        )

    def handle(self, *args: Any, sweep: bool, **options: Any) -> None:
        result = daily_sweep() if sweep else recompute_all(cause="command").as_json()
        self.stdout.write(json.dumps(result, ensure_ascii=False))
