"""Reading the catalog: open policies, scoped drafts, the calculator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from datahub.fetch import fetch_facts
from enterprises.models import Enterprise
from qinqing.scoping import visible_to

from .evaluation import Decision, evaluate_for_enterprise, is_targeted
from .models import Policy, PolicyVersion, VersionStatus

CALCULATOR_PURPOSE = "policy calculator: which open policies fit this enterprise"


def published_versions() -> QuerySet[PolicyVersion]:
    return PolicyVersion.objects.filter(status=VersionStatus.PUBLISHED)


def catalog(day: date | None = None) -> QuerySet[Policy]:
    """Every policy with a published version, its current version prefetched."""
    return (
        Policy.objects.filter(versions__status=VersionStatus.PUBLISHED)
        .select_related("department")
        .prefetch_related(
            "target_districts",
            Prefetch("versions", queryset=published_versions(), to_attr="published"),
        )
        .distinct()
    )


def versions_visible_to(user: User, policy: Policy) -> QuerySet[PolicyVersion]:
    """Everyone sees what was published; the issuing department's officials, auditors and
    administrators see drafts too."""
    versions = policy.versions.all()
    public = Q(status__in=[VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED])
    return versions.filter(public | Q(pk__in=visible_to(user, versions).values("pk")))


@dataclass
class CalculatorRow:
    policy: Policy
    version: PolicyVersion
    decision: Decision

    @property
    def action(self) -> str:
        if self.decision.status != "eligible":
            return "none"
        return {"automatic": "nothing_needed", "confirm": "confirm", "apply": "apply"}[
            self.policy.delivery_mode
        ]


def calculator(enterprise: Enterprise, *, requested_by: User | None = None,
               day: date | None = None) -> list[CalculatorRow]:  # fmt: skip
    """Every open policy with the enterprise's status, reasons and amount. The facts all
    open policies need are read once, in one concurrent fetch."""
    day = day or timezone.localdate()
    versions = [
        version for version in published_versions().select_related("policy__department")
        .prefetch_related("policy__target_districts")
        if version.valid_from <= day <= version.valid_until
    ]  # fmt: skip
    needed = sorted({name for version in versions if is_targeted(version.policy, enterprise)
                     for name in version.rules.fact_names})  # fmt: skip
    facts = (fetch_facts(enterprise, needed, purpose=CALCULATOR_PURPOSE,
                         requested_by=requested_by, as_of=day) if needed else None)  # fmt: skip
    rows = [
        CalculatorRow(version.policy, version, evaluate_for_enterprise(
            version, enterprise, purpose=CALCULATOR_PURPOSE, as_of=day, facts=facts))
        for version in versions
    ]  # fmt: skip
    order = {"eligible": 0, "unknown": 1, "ineligible": 2, "not_targeted": 3}
    return sorted(rows, key=lambda row: (order[row.decision.status], row.policy.code))


def search_catalog(policies: QuerySet[Policy], *, q: str = "", department: str = "",
                   district: str = "", industry: str = "", benefit_type: str = "",
                   status: str = "", day: date | None = None) -> QuerySet[Policy]:  # fmt: skip
    day = day or timezone.localdate()
    if q:
        policies = policies.filter(
            Q(title_zh__icontains=q)
            | Q(title_en__icontains=q)
            | Q(summary_zh__icontains=q)
            | Q(summary_en__icontains=q)
        )
    if department:
        policies = policies.filter(department__code=department)
    if district:
        policies = policies.filter(
            Q(target_districts__code=district) | Q(target_districts__isnull=True)
        )
    if industry:
        # JSON containment differs between databases; the catalog is small, so filter here.
        matching = [pk for pk, sections in policies.values_list("pk", "target_industry_sections")
                    if not sections or industry in sections]  # fmt: skip
        policies = policies.filter(pk__in=matching)
    if benefit_type:
        policies = policies.filter(benefit_type=benefit_type)
    # One subquery for "open today": excluding over the versions join would drop a closed
    # policy that also has a draft covering today.
    open_now = PolicyVersion.objects.filter(
        status=VersionStatus.PUBLISHED, valid_from__lte=day, valid_until__gte=day
    ).values("policy_id")
    if status == "open":
        policies = policies.filter(pk__in=open_now)
    elif status == "closed":
        policies = policies.exclude(pk__in=open_now)
    return policies.distinct()
