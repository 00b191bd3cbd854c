"""What claims name, read for many at once: each claim's enterprise, policy and version as
the payment's ledger and audit labels and the claim's outbox event need them. One read for
confirm_many's locking read (subsidies.payments) and the claims' outbox events
(subsidies.events): they were near-copies.

The claim model names the outbox hooks (subsidies.events), which read through here, so
this module never imports subsidies' models: the caller hands it the claims' queryset.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import QuerySet

from enterprises.models import Enterprise
from qinqing.bulk import any_of


class ClaimParties(NamedTuple):
    """A claim with what it names, as plain values."""

    pk: int
    period: str
    amount: Decimal | None
    person_id: int | None
    enterprise_id: int
    policy_code: str
    department_id: int
    version_number: int
    uscc: str
    name: str
    district_id: int | None


# The claim's own columns and its policy's and version's, in ClaimParties' order. The
# policies and versions are joined (a few rows for thousands of claims); the enterprises
# are read by key, never joined (a join over a million enterprises was planned as a scan
# of their whole index: 40 and 86 ms a chunk).
CLAIM_FIELDS = ("pk", "period", "amount", "person_id", "enterprise_id", "policy__code",
                "policy__department_id", "version__number")  # fmt: skip


def claim_parties(claims: QuerySet[Any]) -> list[ClaimParties]:
    """These claims (a queryset of Claim, locked or filtered as the caller needs; its
    order kept) with what they name: two statements however many claims."""
    rows = list(claims.values_list(*CLAIM_FIELDS))
    if not rows:
        return []
    enterprises = enterprises_by_key(row[4] for row in rows)
    return [ClaimParties(*row, *enterprises[row[4]]) for row in rows]


def enterprises_by_key(keys: Iterable[int]) -> dict[int, tuple[str, str, int | None]]:
    """Enterprise id → (USCC, name, district), probed by key."""
    found = Enterprise.objects.filter(any_of("pk", set(keys)))
    return {pk: rest for pk, *rest in found.values_list("pk", "uscc", "name", "district_id")}
