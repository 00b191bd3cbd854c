"""A correction that shows a paid claim was never due: when a fact is corrected on a
dispute (datahub.signals.facts_changed, cause "correction"), the enterprise's claims paid
in a period still open under a version that reads the corrected fact are evaluated again
on the hub's answer (which is now the corrected value); one no longer eligible gets a
recovery order for what was paid (services.raise_for_ineligible_claim)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from policies.engine import INELIGIBLE
from policies.evaluation import evaluate_for_enterprise
from subsidies.models import Claim, ClaimStatus

from .models import RecoveryOrder
from .services import raise_for_ineligible_claim

CHECK_TASK = "recovery.tasks.check_paid_claims"


def check_paid_claims(enterprise_ids: list[int], facts: list[str]) -> list[int]:
    """Returns the ids of the orders raised. Run twice, it raises nothing more (one open
    order per claim; a claim already under an order is skipped)."""
    today = timezone.localdate()
    # An employee's own payment (person set) is left: the enterprise does not owe it
    # (recovery.services.PAID_TO_A_PERSON).
    claims = (Claim.objects.select_related("policy", "version", "enterprise")
              .filter(enterprise_id__in=enterprise_ids, status=ClaimStatus.PAID,
                      person__isnull=True, version__valid_from__lte=today,
                      version__valid_until__gte=today)
              .exclude(pk__in=RecoveryOrder.objects.values("claim_id")))  # fmt: skip
    wanted = set(facts)
    raised = []
    for claim in claims:
        if wanted and not wanted & set(claim.version.rules.fact_names):
            continue
        decision = evaluate_for_enterprise(
            claim.version, claim.enterprise, targeted=True,
            purpose=f"subsidies.claim:{claim.pk} re-evaluation after a correction",
        )  # fmt: skip
        if decision.status != INELIGIBLE:
            continue
        order = raise_for_ineligible_claim(
            claim, _("A fact this payment was decided on was corrected, and on the corrected "
                     "facts the enterprise did not meet the policy's conditions."),
        )  # fmt: skip
        if order is not None:
            raised.append(order.pk)
    return raised
