"""Policies tells subsidies of a published version through its signal (policies never
imports subsidies): "enjoy without applying" starts the batch run. The register tells it
of new bank details (enterprises never imports subsidies): payments that failed for want
of a valid account are tried again. The hub tells it of changed facts, and the register
of new enterprises: the open automatic and confirm policies are evaluated again for them
(subsidies/reevaluation.py). And policies reads the real state of an enterprise's
claims (its calculator, policy page, policy push) through the reader registered here.
Loaded at start by qinqing's app (autodiscovered)."""

from collections.abc import Collection, Sequence
from datetime import date

from django.utils import timezone

from datahub.signals import facts_changed
from enterprises.signals import bank_details_changed, enterprise_registered
from policies.models import PolicyVersion
from policies.selectors import CLAIM_FINDERS, CLAIM_STATES, ClaimDescription, ClaimState
from policies.signals import version_published

from .batch import start_on_publish
from .claims import period_key
from .payments import retry_for_enterprise
from .reevaluation import on_facts_changed
from .selectors import claim_state, claims_in_periods, claims_visible_to

version_published.connect(start_on_publish, dispatch_uid="subsidies.batch_on_publish")
bank_details_changed.connect(retry_for_enterprise, dispatch_uid="subsidies.retry_on_new_bank")
# Facts changed (the hub's one signal; credit sends it for list moves): re-evaluation.
facts_changed.connect(on_facts_changed, dispatch_uid="subsidies.reevaluate_on_change")


def reevaluate_registered(sender, enterprise_id: int, **kwargs) -> None:
    """A new enterprise in the register: every open policy is evaluated for it."""
    on_facts_changed(enterprise_ids=[enterprise_id], facts=[], cause="registered")


enterprise_registered.connect(reevaluate_registered, dispatch_uid="subsidies.reevaluate_new")


@CLAIM_STATES.register("subsidies")
def read_claim_states(
    versions: Sequence[PolicyVersion], day: date, enterprise_ids: Collection[int] | None
) -> dict[tuple[int, int], ClaimState]:
    """The claim each enterprise holds under each version's policy for the period `day`
    falls in (the one a new claim would meet)."""
    periods = [(version.policy_id, period_key(version, day)) for version in versions]
    return {(claim.enterprise_id, claim.policy_id): claim_state(claim)
            for claim in claims_in_periods(periods, enterprise_ids)}  # fmt: skip


@CLAIM_FINDERS.register("subsidies")
def describe_claim(user, claim_id: int) -> ClaimDescription | None:
    """One claim the user may see, for the apps beside subsidies (the direct line)."""
    claim = (claims_visible_to(user).select_related("policy__department", "enterprise", "version")
             .filter(pk=claim_id).first())  # fmt: skip
    if claim is None:
        return None
    today = timezone.localdate()
    return ClaimDescription(
        claim_id=claim.pk, enterprise_uscc=claim.enterprise.uscc, policy=claim.policy,
        period=claim.period, status_label=str(claim.get_status_display()),
        explanation=list(claim.explanation or []),
        period_open=(claim.version.valid_until >= today
                     and period_key(claim.version, today) == claim.period),
    )  # fmt: skip
