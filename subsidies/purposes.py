"""The data-access log's words for the reads subsidies make (datahub.purposes): a claim's
eligibility check, and the batch runs that read every enterprise's extract and then paid
or offered this one."""

from __future__ import annotations

from django.utils.translation import gettext as _

from datahub.catalogue import CATALOGUE
from datahub.models import DataCall
from datahub.purposes import PURPOSES, READS_FOR, PurposeRef
from enterprises.models import Enterprise
from policies.models import Policy
from qinqing.templatetags.qinqing_format import period_words

from .models import BatchRun, Claim


def _claim_words(claim: Claim) -> str:
    return _("checking your claim for %(policy)s (%(period)s)") % {
        "policy": claim.policy.title, "period": period_words(claim.period)}  # fmt: skip


@PURPOSES.register("subsidies.claim")
def describe_claim_checks(refs: list[PurposeRef]) -> dict[str, str]:
    """`subsidies.claim:2175 eligibility check for …` → "checking your claim for 2026
    稳岗返还 (the year 2026)"."""
    ids = [int(ref.object_id) for ref in refs if ref.object_id.isdigit()]
    claims = Claim.objects.select_related("policy").in_bulk(ids)
    words = {}
    for ref in refs:
        claim = claims.get(int(ref.object_id)) if ref.object_id.isdigit() else None
        if claim is not None:
            words[ref.raw] = _claim_words(claim)
    return words


def _claims_named(refs: list[PurposeRef]) -> dict[str, Claim]:
    ids = [int(ref.object_id) for ref in refs if ref.object_id.isdigit()]
    claims = Claim.objects.select_related("policy").in_bulk(ids)
    return {ref.raw: claims[int(ref.object_id)] for ref in refs
            if ref.object_id.isdigit() and int(ref.object_id) in claims}  # fmt: skip


@PURPOSES.register("subsidies.payment")
def describe_person_payments(refs: list[PurposeRef]) -> dict[str, str]:
    """A person's claim paid to the account of their social security card (issue #26)."""
    return {raw: _("paying your claim for %(policy)s (%(period)s) to the account of your "
                   "social security card") % {"policy": claim.policy.title,
                                              "period": period_words(claim.period)}
            for raw, claim in _claims_named(refs).items()}  # fmt: skip


@PURPOSES.register("subsidies.roster")
def describe_roster_checks(refs: list[PurposeRef]) -> dict[str, str]:
    """The employer confirming its roster: is the person still insured there, and the
    account their money goes to."""
    return {raw: _("your employer confirming that you receive %(policy)s (%(period)s): "
                   "whether you are still insured there, and your card's account")
            % {"policy": claim.policy.title, "period": period_words(claim.period)}
            for raw, claim in _claims_named(refs).items()}  # fmt: skip


@PURPOSES.register("subsidies.person_claim")
def describe_person_claims(refs: list[PurposeRef]) -> dict[str, str]:
    """A person claiming themselves: which employer's insurance the claim rests on."""
    named = {ref.raw: int(ref.object_id) for ref in refs if ref.object_id.isdigit()}
    policies = Policy.objects.in_bulk(list(named.values()))
    return {raw: _("your claim for %(policy)s: the employer whose insurance it rests on")
            % {"policy": policies[pk].title}
            for raw, pk in named.items() if pk in policies}  # fmt: skip


@READS_FOR.register("subsidies.batch")
def batch_reads(enterprise: Enterprise) -> dict[int, str]:
    """The bulk extracts each batch run read before it paid (or offered) this enterprise:
    per department its rules needed, the last extract made before the run started."""
    claims = (Claim.objects.filter(enterprise=enterprise, origin="batch", person__isnull=True)
              .select_related("policy", "version"))  # fmt: skip
    found: dict[int, str] = {}
    for claim in claims:
        run_id = (claim.decision or {}).get("run")
        run = BatchRun.objects.filter(pk=run_id).first() if run_id else None
        if run is None:
            continue
        departments = {CATALOGUE[name].department for name in claim.version.rules.fact_names
                       if name in CATALOGUE}  # fmt: skip
        words = _("finding and paying %(policy)s (%(period)s) without an application: every "
                  "enterprise's data read at once") % {
            "policy": claim.policy.title, "period": period_words(claim.period)}  # fmt: skip
        for code in departments:
            call = (DataCall.objects.filter(enterprise=None, department__code=code,
                                            started_at__lte=run.started_at)
                    .order_by("-started_at").values_list("pk", flat=True).first())  # fmt: skip
            if call is not None:
                found.setdefault(call, words)
    return found
