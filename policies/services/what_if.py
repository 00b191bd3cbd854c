"""What-if: over every enterprise (or person), who qualifies under a version, at what cost
over its claim periods, and who gains or loses against the version in force."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from ..evaluation import evaluate_all, evaluate_all_persons
from ..models import Beneficiary, PolicyVersion, VersionStatus


@dataclass
class WhatIf:
    enterprises: int
    eligible: int
    unknown: int
    periods: int  # claim periods in the window; the cost counts every one
    total_cost: Decimal
    budget: Decimal
    gainers: int | None  # eligible now, not under the published version
    losers: int | None
    nothing_due: int = 0  # eligible, and the formula gives them nothing (zero or less)
    # A version paid to persons: `eligible`, `unknown`, gainers and losers count persons;
    # `persons` is how many were decided, `enterprises` how many employers they have.
    beneficiary: str = Beneficiary.ENTERPRISE
    persons: int | None = None

    @property
    def within_budget(self) -> bool:
        return self.total_cost <= self.budget


def claim_periods(version: PolicyVersion) -> int:
    """How many times an enterprise may claim within the validity window."""
    start, end = version.valid_from, version.valid_until
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    return {
        "once": 1,
        "yearly": end.year - start.year + 1,
        "quarterly": (end.year * 4 + (end.month - 1) // 3)
        - (start.year * 4 + (start.month - 1) // 3)
        + 1,
        "monthly": months,
    }[version.claim_period]


def _persons_what_if(version: PolicyVersion) -> WhatIf:
    """what_if() of a version paid to persons: every person from the person extracts."""
    batch = evaluate_all_persons(version)
    eligible = batch.eligible
    status = batch.status()
    current = (
        version.policy.versions.filter(status=VersionStatus.PUBLISHED,
                                       beneficiary=Beneficiary.PERSON)
        .exclude(pk=version.pk)
        .first()
    )  # fmt: skip
    gainers = losers = None
    if current is not None:
        before = evaluate_all_persons(current)
        was = set(before.person_ids[before.eligible].tolist())
        now = set(batch.person_ids[eligible].tolist())
        gainers, losers = len(now - was), len(was - now)
    periods = claim_periods(version)
    kept = status != "duplicate"
    employers = batch.employer_ids[kept & (batch.employer_ids >= 0)]
    return WhatIf(
        enterprises=len(np.unique(employers)), eligible=int(eligible.sum()),
        unknown=int((status == "unknown").sum()), periods=periods,
        total_cost=(Decimal(int(batch.amount_fen.sum()) * periods) / 100).quantize(
            Decimal("0.01")),
        budget=version.budget, gainers=gainers, losers=losers,
        nothing_due=int((eligible & (batch.outcome.amount_fen <= 0)).sum()),
        beneficiary=Beneficiary.PERSON, persons=int(kept.sum()),
    )  # fmt: skip


def what_if(version: PolicyVersion) -> WhatIf:
    """Over every enterprise, from the bulk extracts: who qualifies, at what total cost over
    every claim period of the window, and who gains or loses against the version in force.
    A version paid to persons: over every person (and their employers)."""
    if version.beneficiary == Beneficiary.PERSON:
        return _persons_what_if(version)
    batch = evaluate_all(version)
    eligible = batch.eligible
    status = batch.status()
    current = (
        version.policy.versions.filter(status=VersionStatus.PUBLISHED,
                                       beneficiary=Beneficiary.ENTERPRISE)
        .exclude(pk=version.pk)
        .first()
    )  # fmt: skip
    gainers = losers = None
    if current is not None:
        before = evaluate_all(current)
        common = np.intersect1d(batch.enterprise_ids, before.enterprise_ids)
        now_ok = eligible[np.isin(batch.enterprise_ids, common)]
        was_ok = before.eligible[np.isin(before.enterprise_ids, common)]
        gainers, losers = int((now_ok & ~was_ok).sum()), int((~now_ok & was_ok).sum())
    return WhatIf(
        enterprises=len(batch.enterprise_ids), eligible=int(eligible.sum()),
        unknown=int((status == "unknown").sum()),
        periods=claim_periods(version),
        total_cost=(Decimal(int(batch.amount_fen.sum()) * claim_periods(version)) / 100).quantize(
            Decimal("0.01")
        ),
        budget=version.budget,
        gainers=gainers, losers=losers,
        nothing_due=int((eligible & (batch.outcome.amount_fen <= 0)).sum()),
    )  # fmt: skip
