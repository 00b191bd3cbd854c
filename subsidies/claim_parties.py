"""What claims name, read for many at once: each claim's enterprise, policy and version as
the payment's ledger and audit labels and the claim's outbox event need them. One read for
confirm_many's locking read (subsidies.payments) and the claims' outbox events
(subsidies.events): they were near-copies.

The claim model names the outbox hooks (subsidies.events), which read through here, so
this module never imports subsidies' models: the caller hands it the claims' read.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from enterprises.models import Enterprise
from qinqing.bulk import KeyedRead, any_of


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


def claim_parties(read: KeyedRead, keys: Iterable[int]) -> list[ClaimParties]:
    """The claims `read` gives for these keys (a KeyedRead of Claim's CLAIM_FIELDS, locked
    or filtered as the caller needs; its order kept) with what they name: two statements
    however many claims, each built once per process."""
    rows = read.rows(keys)
    if not rows:
        return []
    enterprises = {pk: rest for pk, *rest in _ENTERPRISES.rows({row[4] for row in rows})}
    return [ClaimParties(*row, *enterprises[row[4]]) for row in rows]


_ENTERPRISES = KeyedRead(lambda keys: Enterprise.objects.filter(any_of("pk", keys))
                         .values_list("pk", "uscc", "name", "district_id"))  # fmt: skip
