"""A claim's status change: the one transition mechanism (qinqing.transitions, the table on
Claim), and the enterprise's notice once the change is committed. Every claim status
change in subsidies goes through here, for one claim or a set."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction

from qinqing.bulk import any_of
from qinqing.transitions import move, move_many

from .claim_parties import ClaimParties
from .models import Claim
from .notifications import CLAIM_NOTICES, notify_claims

# What a claim's state changes never read: long policy texts, the version's rules, the
# stored decision. Loading them under every lock cost more than the rest of the query.
HEAVY = ("decision", "facts", "policy__summary_zh", "policy__summary_en",
         "policy__legal_basis_zh", "policy__legal_basis_en", "version__criteria",
         "version__benefit", "version__parameters", "version__notes")  # fmt: skip


def locked_claims(claim_ids: Iterable[int]) -> list[Claim]:
    """The claims, row-locked in id order (every service locks claims in this order, then
    their disbursements: two transactions never deadlock), with what their audit labels
    and checks read, in one query; only the claims' own rows are locked."""
    return list(
        Claim.objects.select_for_update(of=("self",))
        .select_related("policy", "enterprise", "version", "person")
        .defer(*HEAVY)
        .filter(any_of("pk", claim_ids))
        .order_by("pk")
    )


def locked_claim(claim_id: int) -> Claim:
    claims = locked_claims([claim_id])
    if not claims:
        raise Claim.DoesNotExist(f"claim {claim_id}")
    return claims[0]


def move_claim(claim: Claim, to: str, actor: Any = None, *, via: tuple[str, ...] = (),
               **changes: Any) -> Claim:  # fmt: skip
    """One locked claim to `to` (qinqing.transitions.move); its members hear of it once
    committed."""
    move(claim, to, actor=actor, via=via, **changes)
    if to in CLAIM_NOTICES:
        transaction.on_commit(lambda: notify_claims([claim.pk], to), robust=True)
    return claim


def move_claims(claim_ids: list[int], to: str, actor: Any = None, *,
                via: tuple[str, ...] = (), labels: Mapping[int, str] | None = None,
                rows: Mapping[int, Mapping[str, Any]] | None = None,
                parties: Mapping[int, ClaimParties] | None = None,
                **changes: Any) -> list[int]:  # fmt: skip
    """Many claims to `to` in one statement (qinqing.transitions.move_many), each with its
    own values in `rows`; returns the ids moved (a claim moved meanwhile is left alone).
    `parties`: what the caller read of them in this transaction (subsidies.claim_parties),
    for their outbox events. Their members hear of it once committed."""
    if not claim_ids:
        return []
    moved = move_many(Claim, claim_ids, to, actor=actor, via=via, labels=labels, rows=rows,
                      outbox_known=parties, **changes)  # fmt: skip
    if moved and to in CLAIM_NOTICES:
        transaction.on_commit(lambda: notify_claims(moved, to), robust=True)
    return moved
