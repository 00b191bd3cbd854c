"""Published policies with budgets, and claims with their disbursements and ledger."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import numpy as np

from policies.models import Policy, PolicyVersion
from subsidies.models import (
    Budget,
    Claim,
    Disbursement,
    LedgerEntry,
    budget_account,
    enterprise_account,
)

from .city import POLICY_PREFIX, CityData, weighted_choice
from .policy_specs import CLAIM_TO_CASH, ELIGIBILITY_CRITERIA, POLICIES, STATUS_MIX, benefit_formula
from .rows import from_epoch, money_text, next_id, timestamps, write_rows


def write_policies_and_claims(city: CityData) -> int:
    n = city.volumes.claims
    rng = city.rng("claims")
    specs = [spec for spec in POLICIES if spec.department in city.departments]
    weights = np.array([spec.weight for spec in specs])
    # Oversample, then keep the first claim of each (enterprise, policy, period).
    draw = int(n * 1.15) + 100
    policy = rng.choice(len(specs), size=draw, p=weights / weights.sum())
    enterprise = np.empty(draw, dtype=np.int64)
    for index, spec in enumerate(specs):
        mask = policy == index
        pool = (
            np.flatnonzero(np.isin(city.ent_section, spec.sections))
            if spec.sections
            else np.arange(len(city.ent_ids))
        )
        if len(pool) == 0:
            pool = np.arange(len(city.ent_ids))
        enterprise[mask] = pool[rng.integers(0, len(pool), int(mask.sum()))]
    created = city.times(rng, draw)
    local = (created + city.offset.total_seconds()).astype("datetime64[s]")
    year = local.astype("datetime64[Y]").astype(int) + 1970
    month = local.astype("datetime64[M]").astype(int) % 12
    period_kind = np.array([spec.period for spec in specs])[policy]
    period_index = np.where(
        period_kind == "yearly",
        year * 100,
        np.where(
            period_kind == "quarterly",
            year * 100 + 20 + month // 3,
            np.where(period_kind == "monthly", year * 100 + 40 + month, 0),
        ),
    )
    key = (enterprise * 64 + policy) * 1_000_000 + period_index
    _unique, first = np.unique(key, return_index=True)
    keep = np.sort(first)[:n]
    policy, enterprise, created, period_index = (
        policy[keep],
        enterprise[keep],
        created[keep],
        period_index[keep],
    )
    n = len(keep)
    modes = np.array([spec.mode for spec in specs])[policy]
    status = np.empty(n, dtype=object)
    for mode, mix in STATUS_MIX.items():
        mask = modes == mode
        status[mask] = weighted_choice(rng, mix, int(mask.sum()))
    # Amounts in fen: log-normal around each policy's median, capped, whole yuan.
    medians = np.array([spec.median_yuan for spec in specs], dtype=float)[policy]
    caps = np.array([spec.cap_yuan for spec in specs], dtype=float)[policy]
    amount = np.minimum(np.round(medians * rng.lognormal(0, 0.6, n)), caps)
    amount_fen = (np.maximum(amount, 100) * 100).astype(np.int64)
    has_amount = np.isin(
        status,
        [
            "paid",
            "payment_failed",
            "paying",
            "in_review",
            "offered",
            "rejected",
            "budget_exhausted",
        ],
    )
    # Claim to cash.
    median = np.array([CLAIM_TO_CASH[m][0] for m in modes.tolist()])
    sigma = np.array([CLAIM_TO_CASH[m][1] for m in modes.tolist()])
    elapsed = median * np.exp(sigma * rng.standard_normal(n))
    tail = rng.random(n) < 0.02
    elapsed = np.where(tail, elapsed * rng.uniform(10, 100, n), elapsed)
    confirmed = created + elapsed
    # A payment confirmed after `as_of` has not happened yet: that claim is still paying.
    late = (status == "paid") & (confirmed >= city.end.timestamp())
    status[late] = "paying"
    created_text = timestamps(created)
    confirmed_text = timestamps(np.minimum(confirmed, city.end.timestamp() - 1))

    # Policies, versions and budgets: each budget covers what is reserved with room left.
    paid_mask = status == "paid"
    reserving = np.isin(status, ["paid", "payment_failed", "paying"])
    reserved = np.bincount(policy[reserving], weights=amount_fen[reserving], minlength=len(specs))
    g = city.generation
    valid_from = city.start.date()
    valid_until = date(city.as_of.year, 12, 31)
    published = from_epoch(city.start.timestamp() - 7 * 86400)
    version_ids: list[int] = []
    policy_ids: list[int] = []
    for index, spec in enumerate(specs):
        total_fen = (
            int(max(reserved[index] * 1.3, 10_000_000 * 100) // 100_000_000 + 1) * 100_000_000
        )
        item = Policy.objects.create(
            code=f"{POLICY_PREFIX}{g}-{spec.slug}",
            department_id=city.departments[spec.department],
            title_zh=spec.title_zh,
            title_en=spec.title_en,
            summary_zh=f"{spec.title_zh}（演示数据）",
            summary_en=f"{spec.title_en} (generated data)",
            legal_basis_zh="第一条 依法登记存续的企业。\n第二条 按规定标准给予支持。",
            legal_basis_en="Art. 1 Registered, active enterprises. Art. 2 Support as set.",
            benefit_type=spec.benefit_type,
            delivery_mode=spec.mode,
            target_industry_sections=list(spec.sections),
        )
        version = PolicyVersion.objects.create(
            policy=item,
            number=1,
            status="published",
            valid_from=valid_from,
            valid_until=valid_until,
            criteria=ELIGIBILITY_CRITERIA,
            benefit=benefit_formula(spec),
            parameters={},
            budget=Decimal(total_fen) / 100,
            per_enterprise_cap=Decimal(spec.cap_yuan),
            claim_period=spec.period,
            published_at=published,
            submitted_at=published,
        )
        Budget.objects.create(
            version=version,
            total=Decimal(total_fen) / 100,
            reserved=Decimal(int(reserved[index])) / 100,
        )
        policy_ids.append(item.pk)
        version_ids.append(version.pk)
    city.policy_ids = policy_ids
    city.log(f"claims: {len(specs)} policies published, {n:,} claims drawn")

    first = next_id(Claim)
    ids = np.arange(first, first + n)
    period_text = _period_texts(period_index)
    # An apply-mode claim is reviewed by an official of the policy's department.
    reviewers = [city.officials.get(spec.department) or [None] for spec in specs]
    ent_ids = city.ent_ids
    decision_by_status = {
        status_name: json.dumps(
            {
                "status": {"ineligible": "ineligible", "awaiting_data": "unknown"}.get(
                    status_name, "eligible"
                ),
                "source": "generated",
                "criteria": [],
            }
        )
        for status_name in set(STATUS_MIX["automatic"])
        | set(STATUS_MIX["confirm"])
        | set(STATUS_MIX["apply"])
    }

    def claim_rows() -> Iterator[tuple]:
        for row in range(n):
            state = status[row]
            p = int(policy[row])
            mode = specs[p].mode
            money = money_text(int(amount_fen[row])) if has_amount[row] else None
            reviewed = mode == "apply" and state in ("paid", "rejected", "payment_failed")
            stamp = created_text[row]
            yield (
                int(ids[row]),
                int(ent_ids[enterprise[row]]),
                policy_ids[p],
                version_ids[p],
                period_text[row],
                state,
                money,
                decision_by_status[state],
                None,
                1,
                None,
                "enterprise" if mode == "apply" else "batch",
                "" if state != "rejected" else "材料不符合要求",
                reviewers[p][row % len(reviewers[p])] if reviewed else None,
                confirmed_text[row] if reviewed else None,
                stamp,
                confirmed_text[row] if state == "paid" else stamp,
            )

    written = write_rows(
        Claim,
        [
            "id",
            "enterprise",
            "policy",
            "version",
            "period",
            "status",
            "amount",
            "decision",
            "facts",
            "checks",
            "next_check_at",
            "origin",
            "review_note",
            "reviewed_by",
            "reviewed_at",
            "created_at",
            "updated_at",
        ],
        claim_rows(),
    )
    city.summary.counts["claims"] = n
    city.summary.counts["claims_paid"] = int(paid_mask.sum())

    paying = np.flatnonzero(np.isin(status, ["paid", "payment_failed", "paying"]))
    first_disbursement = next_id(Disbursement)
    banks = city.ent_bank
    disbursement_state = {"paid": "confirmed", "payment_failed": "failed", "paying": "sent"}

    def disbursement_rows() -> Iterator[tuple]:
        for offset, row in enumerate(paying.tolist()):
            state = status[row]
            bank_name, bank_account = banks[enterprise[row]]
            cid = int(ids[row])
            done = state == "paid"
            yield (
                first_disbursement + offset,
                cid,
                f"qinqing-claim-{cid}",
                money_text(int(amount_fen[row])),
                bank_name,
                bank_account,
                disbursement_state[state],
                f"TR{cid:012d}" if done else "",
                3 if state == "payment_failed" else 1,
                "" if state != "payment_failed" else "收款账户状态异常 (account frozen)",
                created_text[row],
                confirmed_text[row] if done else None,
            )

    written += write_rows(
        Disbursement,
        [
            "id",
            "claim",
            "idempotency_key",
            "amount",
            "bank_name",
            "bank_account",
            "status",
            "reference",
            "attempts",
            "last_error",
            "created_at",
            "confirmed_at",
        ],
        disbursement_rows(),
    )
    # The ledger: two legs per confirmed payment, the budget pays, the enterprise receives.
    paid_rows = np.flatnonzero(paid_mask)
    uscc = city.ent_uscc
    accounts = [budget_account(f"{POLICY_PREFIX}{g}-{spec.slug}", 1) for spec in specs]
    first_entry = next_id(LedgerEntry)

    def ledger_rows() -> Iterator[tuple]:
        entry = first_entry
        for row in paid_rows.tolist():
            cid = int(ids[row])
            money = money_text(int(amount_fen[row]))
            key = f"qinqing-claim-{cid}"
            when = confirmed_text[row]
            yield (entry, key, accounts[int(policy[row])], money, "0.00", cid, when)
            yield (
                entry + 1,
                key,
                enterprise_account(uscc[enterprise[row]]),
                "0.00",
                money,
                cid,
                when,
            )
            entry += 2

    written += write_rows(
        LedgerEntry,
        ["id", "transaction", "account", "debit", "credit", "claim", "created_at"],
        ledger_rows(),
    )
    city.summary.counts["policies"] = len(specs)
    city.summary.counts["disbursements"] = len(paying)
    city.summary.counts["ledger_entries"] = 2 * len(paid_rows)
    return written


def _period_texts(index: np.ndarray) -> list[str]:
    """The claim periods as subsidies.claims.period_key writes them."""
    out = []
    for value in index.tolist():
        if value == 0:
            out.append("once")
            continue
        year, rest = divmod(value, 100)
        if rest == 0:
            out.append(str(year))
        elif rest < 40:
            out.append(f"{year}Q{rest - 20 + 1}")
        else:
            out.append(f"{year}-{rest - 40 + 1:02d}")
    return out
