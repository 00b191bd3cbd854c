from django.core.management.base import BaseCommand, CommandError

from dashboards.refresh import differences, keep_current, refresh_all


class Command(BaseCommand):
    help = (
        "Bring the dashboards' figures current now, as beat does every "
        "DASHBOARD_REFRESH_MINUTES; --full rebuilds every tally (repair); --check compares "
        "the figures kept current by recorded changes with a fresh rebuild (PostgreSQL)."
    )

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--full", action="store_true", help="rebuild every tally")
        parser.add_argument(
            "--check", action="store_true", help="compare the kept tallies with a rebuild"
        )

    def handle(self, *args, **options) -> None:
        if options["check"]:
            found = differences()
            for row in found[:50]:
                self.stdout.write(" ".join(map(str, row)))
            if found:
                raise CommandError(f"{len(found)} tally rows differ from a fresh rebuild.")
            self.stdout.write("The kept tallies equal a fresh rebuild.")
            return
        seconds = refresh_all() if options["full"] else keep_current()
        if seconds is None:
            self.stdout.write("Another rebuild is running; its figures will be as fresh.")
            return
        total = sum(seconds.values())
        self.stdout.write(f"Dashboards brought current in {total:.1f} s.")
