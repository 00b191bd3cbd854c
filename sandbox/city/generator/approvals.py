"""Industrial-project approvals with their items, commitments, pauses and permits."""

from __future__ import annotations

import hashlib
import json
import random

from django.utils import timezone

from approvals.models import Application, Item, ItemPause, ItemType, Permit, ServicePackage
from credit.commitments.models import Commitment
from credit.commitments.services import current_notice
from qinqing.workhours.clock import TimeLimit, add_working_time

from .city import CityData, office_hour
from .rows import from_epoch, next_id, write_rows

# The application outcomes of industrial projects (share, then what each item may be).
APPLICATION_MIX = {"approved": 62, "in_review": 20, "rejected": 8, "withdrawn": 5, "revoked": 5}


def write_approvals(city: CityData) -> int:
    target = city.volumes.items
    if not target or not city.member_user:
        return 0
    package = ServicePackage.objects.get(code="industrial-project")
    types = {
        t.code: t for t in ItemType.objects.filter(package=package).select_related("department")
    }
    notice = current_notice("approval-item")
    rng = random.Random(f"{city.seed}:{city.generation}:approvals")
    members = list(city.member_user.items())
    now = city.end.timestamp()
    first_app, first_item = next_id(Application), next_id(Item)
    first_commitment, first_pause, first_permit = (
        next_id(Commitment),
        next_id(ItemPause),
        next_id(Permit),
    )
    apps: list[tuple] = []
    items: list[tuple] = []
    commitments: list[tuple] = []
    pauses: list[tuple] = []
    permits: list[tuple] = []
    g = city.generation
    app_id, item_id = first_app, first_item
    outcomes = list(APPLICATION_MIX)
    outcome_weights = list(APPLICATION_MIX.values())
    while len(items) < target:
        index, applicant = members[rng.randrange(len(members))]
        enterprise_id = int(city.ent_ids[index])
        district_id = int(city.ent_district[index])
        outcome = rng.choices(outcomes, outcome_weights)[0]
        if outcome == "in_review":
            # Open applications are recent: a few working days old at most, some overdue.
            submitted = now - rng.expovariate(1 / (0.8 * 86400)) - 600
        else:
            submitted = city.start.timestamp() + (now - city.start.timestamp() - 7 * 86400) * (
                1 - rng.random() ** 1.6
            )
        submitted = office_hour(submitted, rng, city.offset)
        floor = rng.choice((0, 150, 2000, 8000, 25000, 60000))
        env = rng.choices(
            ("report_book", "report_form", "registration", "exempt"), (15, 45, 30, 10)
        )[0]
        needed = ["project-filing"]
        if floor > 0:
            needed += ["planning-permit", "fire-design-review"]
        if floor > 300:
            needed.append("construction-permit")
        if env in ("report_book", "report_form"):
            needed.append("eia-approval")
        elif env == "registration":
            needed.append("eia-registration")
        started = from_epoch(submitted)
        decided_times: list[float] = []
        statuses = _item_statuses(outcome, needed, types, rng)
        for code, state in zip(needed, statuses, strict=True):
            kind = types[code]
            limit = TimeLimit(kind.limit_amount, kind.limit_unit).seconds
            deadline = add_working_time(started, limit)
            decided = None
            if state in (
                "approved",
                "committed",
                "verified",
                "rejected",
                "revoked",
                "withdrawn",
            ):
                if kind.auto_check:
                    work = rng.uniform(1, 30)
                elif state in ("committed", "verified", "revoked"):
                    work = rng.uniform(60, 1800)  # signed on the spot
                else:
                    share = rng.lognormvariate(-0.9, 0.6)  # mostly well within the limit
                    work = limit * share
                decided = add_working_time(started, int(work))
                if decided.timestamp() >= now:
                    decided = from_epoch(max(submitted + 30, now - rng.uniform(60, 3600)))
                decided_times.append(decided.timestamp())
            official = city.officials.get(kind.department.code, [None])
            decider = None
            if decided and state != "withdrawn" and not kind.auto_check:
                decider = official[rng.randrange(len(official))]
            handler = None if kind.auto_check else decider or official[0]
            commitment_id = None
            verify_by = None
            if state in ("committed", "verified", "revoked"):
                commitment_id = first_commitment + len(commitments)
                verify_by = add_working_time(
                    decided, TimeLimit(kind.verify_within_days, "days").seconds
                )
                c_status = {"verified": "fulfilled", "revoked": "breached"}.get(state)
                if c_status is None:
                    c_status = "verifying" if rng.random() < 0.5 else "made"
                c_decided = None
                if c_status in ("fulfilled", "breached"):
                    c_decided = from_epoch(
                        min(decided.timestamp() + rng.uniform(2, 25) * 86400, now - 60)
                    )
                commitments.append(
                    (
                        commitment_id,
                        enterprise_id,
                        notice.pk,
                        notice.sha256,
                        applicant,
                        decided,
                        "approval_item",
                        f"approvals.item:{item_id}",
                        kind.commitment_checks_zh or kind.name_zh,
                        verify_by,
                        kind.department_id,
                        c_status,
                        c_decided,
                        decider if c_decided else None,
                        "核查属实"
                        if c_status == "fulfilled"
                        else ("承诺内容与实际不符" if c_status == "breached" else ""),
                        decided,
                        c_decided or decided,
                    )
                )
            open_deadline = (
                deadline
                if state == "pending"
                else (
                    None
                    if state in ("committed", "verified", "revoked", "supplement", "withdrawn")
                    else deadline
                )
            )
            items.append(
                (
                    item_id,
                    app_id,
                    kind.pk,
                    kind.department_id,
                    district_id,
                    state,
                    handler,
                    started,
                    kind.limit_amount,
                    kind.limit_unit,
                    open_deadline,
                    decided,
                    decider,
                    "" if state != "rejected" else "规划条件不符，请修改设计方案后重新提交",
                    commitment_id,
                    verify_by,
                )
            )
            if state == "supplement":
                pauses.append(
                    (
                        first_pause + len(pauses),
                        item_id,
                        "supplement",
                        from_epoch(min(started.timestamp() + rng.uniform(600, 7200), now - 60)),
                        None,
                    )
                )
            if state in ("approved", "committed", "verified", "revoked"):
                permits.append(
                    (
                        first_permit + len(permits),
                        item_id,
                        f"{kind.permit_prefix}-{decided.year}-C{g}{item_id:08d}",
                        hashlib.sha256(f"{city.seed}:{g}:{item_id}".encode())
                        .hexdigest()[:16]
                        .upper(),
                        decided,
                        from_epoch(min(decided.timestamp() + 20 * 86400, now - 30))
                        if state == "revoked"
                        else None,
                        "承诺不实，撤销许可" if state == "revoked" else "",
                    )
                )
            item_id += 1
        app_status = outcome
        app_decided = (
            from_epoch(max(decided_times))
            if outcome in ("approved", "rejected", "revoked") and decided_times
            else None
        )
        answers = {
            "project_name": f"年产{rng.randint(1, 50)}万台智能装备项目",
            "floor_area": str(floor),
            "environmental_category": env,
            "total_investment": f"{rng.randint(5, 500) * 100000}.00",
            "hazardous_chemicals": rng.random() < 0.1,
        }
        apps.append(
            (
                app_id,
                package.pk,
                f"XM{started.astimezone(timezone.get_default_timezone()):%Y%m%d}C{g}{app_id:07d}",
                enterprise_id,
                applicant,
                answers["project_name"],
                district_id,
                "",
                json.dumps(answers, ensure_ascii=False),
                "{}",
                app_status,
                started,
                from_epoch(max([*decided_times, submitted])),
                started,
                app_decided,
            )
        )
        app_id += 1
    written = write_rows(
        Application,
        [
            "id",
            "package",
            "reference",
            "enterprise",
            "applicant",
            "title",
            "district",
            "industry_division",
            "answers",
            "prefill",
            "status",
            "created_at",
            "updated_at",
            "submitted_at",
            "decided_at",
        ],
        apps,
    )
    written += write_rows(
        Commitment,
        [
            "id",
            "enterprise",
            "notice",
            "text_sha256",
            "accepted_by",
            "accepted_at",
            "subject_kind",
            "subject_ref",
            "verify_what",
            "verify_by",
            "department",
            "status",
            "decided_at",
            "decided_by",
            "reason",
            "created_at",
            "updated_at",
        ],
        commitments,
    )
    written += write_rows(
        Item,
        [
            "id",
            "application",
            "item_type",
            "department",
            "district",
            "status",
            "assigned_to",
            "started_at",
            "limit_amount",
            "limit_unit",
            "deadline",
            "decided_at",
            "decided_by",
            "decision_note",
            "commitment_id",
            "verify_by",
        ],
        items,
    )
    written += write_rows(ItemPause, ["id", "item", "reason", "started_at", "ended_at"], pauses)
    written += write_rows(
        Permit,
        [
            "id",
            "item",
            "number",
            "verification_code",
            "issued_at",
            "revoked_at",
            "revoked_reason",
        ],
        permits,
    )
    city.summary.counts["applications"] = len(apps)
    city.summary.counts["permits"] = len(permits)
    city.summary.counts["approval_items"] = len(items)
    city.summary.counts["commitments"] = len(commitments)
    return written


def _item_statuses(outcome: str, needed: list[str], types: dict, rng: random.Random) -> list[str]:
    """Item statuses consistent with the application's outcome."""

    def approved(code: str) -> str:
        kind = types[code]
        if kind.allows_commitment and rng.random() < 0.35:
            return "verified" if rng.random() < 0.5 else "committed"
        return "approved"

    if outcome == "approved":
        return [approved(code) for code in needed]
    if outcome == "withdrawn":
        return ["withdrawn"] * len(needed)
    if outcome == "in_review":
        states = [
            rng.choice(("pending", "pending", "supplement"))
            if rng.random() < 0.6
            else approved(code)
            for code in needed
        ]
        if not any(state in ("pending", "supplement") for state in states):
            states[0] = "pending"
        return states
    if outcome == "rejected":
        states = [approved(code) for code in needed]
        states[rng.randrange(len(states))] = "rejected"
        return states
    # revoked: a commitment found untrue; the others approved
    states = [approved(code) for code in needed]
    committable = [i for i, code in enumerate(needed) if types[code].allows_commitment]
    states[committable[0] if committable else 0] = "revoked"
    return states
