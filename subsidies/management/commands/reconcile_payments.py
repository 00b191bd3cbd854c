"""`manage.py reconcile_payments`: the daily reconciliation, run by hand (and stored like
the scheduled one). Exits with status 1 when it finds a mismatch, for scripts and cron."""

from django.core.management.base import BaseCommand, CommandError

from subsidies.reconciliation import reconcile


class Command(BaseCommand):
    help = "Settle lost treasury answers and compare disbursements, ledger and treasury."

    def handle(self, *args, **options) -> None:
        run = reconcile()
        self.stdout.write(
            f"checked {run.checked} disbursements, settled {run.settled} lost answers, "
            f"{len(run.problems)} mismatches"
        )
        for problem in run.problems:
            self.stdout.write(f"  {problem}")
        if run.problems:
            raise CommandError(f"{len(run.problems)} mismatches")
