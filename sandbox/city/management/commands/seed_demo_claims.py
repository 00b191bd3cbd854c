"""Demo claims on the apply-mode policy, so that `make run` shows officials a review queue:
the first qualifying demo enterprises claim the R&D award and wait for a science official.
Idempotent: a second run finds the claims it made."""

from typing import Any

from django.core.management.base import BaseCommand

from enterprises.models import Enterprise, EnterpriseMembership
from policies.evaluation import evaluate_all
from policies.models import Policy, VersionStatus
from qinqing.errors import ServiceError
from subsidies.claims import submit_claim
from subsidies.models import Claim, ClaimStatus

POLICY = "rd-award-2026"


class Command(BaseCommand):
    help = "Submit a few demo claims on the apply-mode demo policy (they wait for review)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--count", type=int, default=5)

    def handle(self, *args: Any, **options: Any) -> None:
        policy = Policy.objects.filter(code=POLICY).first()
        version = policy and policy.versions.filter(status=VersionStatus.PUBLISHED).first()
        if version is None:
            self.stderr.write(f"{POLICY} is not published: run seed_demo_policies first")
            return
        decision = evaluate_all(version)
        qualifying = decision.enterprise_ids[decision.eligible].tolist()
        # The demo users' own enterprises claim as their members; the rest of the queue is
        # filled with claims marked as demo data (origin "demo", no submitter).
        members = {m.enterprise_id: m for m in EnterpriseMembership.objects.filter(
            enterprise_id__in=qualifying).select_related("enterprise", "user")}  # fmt: skip
        chosen = sorted(members, key=qualifying.index)
        chosen += [pk for pk in qualifying if pk not in members][
            : max(0, options["count"] - len(chosen))
        ]
        enterprises = Enterprise.objects.in_bulk(chosen)
        made = 0
        for pk in chosen[: options["count"]]:
            membership = members.get(pk)
            try:
                _claim, created = submit_claim(
                    enterprise=enterprises[pk], policy=policy,
                    actor=membership.user if membership else None,
                    origin="enterprise" if membership else "demo",
                )  # fmt: skip
            except ServiceError as error:  # a refused or conflicting claim: skipped
                self.stderr.write(f"{enterprises[pk].uscc}: {error}")
                continue
            made += created
        waiting = Claim.objects.filter(policy=policy, status=ClaimStatus.IN_REVIEW).count()
        self.stdout.write(
            f"{POLICY}: {made} demo claims submitted now, {waiting} waiting for review"
        )
