"""Generate a city's worth of data for the dashboards (benchmark volumes by default).

    manage.py generate_city_data                       # 1M enterprises, 1M claims, ...
    manage.py generate_city_data --scale 0.001         # a thousandth of each, for a look
    manage.py generate_city_data --enterprises 0 ...   # reuse the register already there

Refuses to run on a database that already holds generated data unless --force, which adds
another generation (new policies, claims, approvals, requests, calls and campaign; new
enterprises unless --enterprises 0). See sandbox/city/generator/ for what is written.
"""

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sandbox.city.generator import AlreadyGenerated, Volumes, generate
from sandbox.city.generator.city import WINDOW_MONTHS


class Command(BaseCommand):
    help = "Generate realistic city data (enterprises, claims, approvals, requests, data calls)."

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = Volumes()
        parser.add_argument("--enterprises", type=int, default=defaults.enterprises)
        parser.add_argument("--claims", type=int, default=defaults.claims)
        parser.add_argument(
            "--items",
            type=int,
            default=defaults.items,
            help="approval items (about five per application)",
        )
        parser.add_argument("--requests", type=int, default=defaults.requests)
        parser.add_argument("--data-calls", type=int, default=defaults.data_calls)
        parser.add_argument(
            "--selections",
            type=int,
            default=defaults.selections,
            help="about how many enterprises the inspection draw selects",
        )
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="multiply every volume (e.g. 0.001 for a quick look)",
        )
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            help="last day of the months generated (default: today)",
        )
        parser.add_argument(
            "--months", type=int, default=WINDOW_MONTHS, help="how many months back (default 18)"
        )
        parser.add_argument(
            "--seasonal",
            action="store_true",
            help="the seasons of a year (a quiet February, busy ends of quarters)",
        )
        parser.add_argument("--seed", type=int, default=2021)
        parser.add_argument(
            "--force", action="store_true", help="add another generation to a database that has one"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        volumes = Volumes(
            enterprises=options["enterprises"],
            claims=options["claims"],
            items=options["items"],
            requests=options["requests"],
            data_calls=options["data_calls"],
            selections=options["selections"],
        ).scaled(options["scale"])
        try:
            summary = generate(
                volumes,
                as_of=options["as_of"],
                seed=options["seed"],
                force=options["force"],
                months=options["months"],
                seasonal=options["seasonal"],
                log=lambda line: self.stdout.write(line),
            )
        except AlreadyGenerated as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS("\n".join(summary.lines())))
