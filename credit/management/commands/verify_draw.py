import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from credit.inspections.models import InspectionCampaign
from credit.inspections.verification import verify


class Command(BaseCommand):
    help = (
        "Recompute a dual-random inspection draw from the campaign's stored population "
        "snapshot and public value, and compare it with the recorded draw (hash, seed, strata, "
        "every selection and inspector). Exits non-zero when they differ."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("campaign", type=int, help="the campaign's id")

    def handle(self, *args: Any, **options: Any) -> None:
        campaign = InspectionCampaign.objects.filter(pk=options["campaign"]).first()
        if campaign is None:
            raise CommandError(f"no campaign {options['campaign']}")
        found = verify(campaign)
        summary = {
            "campaign": campaign.pk,
            "snapshot_sha256": found.snapshot_sha256,
            "seed": found.seed,
            "strata": found.strata,
            "selected": found.selected,
            "problems": [str(p) for p in found.problems],
        }
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
        if not found.ok:
            raise CommandError("the draw does NOT verify: " + "; ".join(summary["problems"]))
        self.stdout.write("verified: the recorded draw is what the algorithm gives")
