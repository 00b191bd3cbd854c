"""Reading claims, payments and runs: every list filtered by the one scoping rule
(qinqing.scoping, each model's `reach`)."""

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.models import User
from datahub.catalogue import CATALOGUE, FactType, display_value
from departments.models import Department
from policies.models import DeliveryMode
from policies.rules.errors import RuleError
from policies.rules.formulas import Expr
from policies.rules.parameters import Parameter
from policies.selectors import ClaimState
from policies.wording import label_text, parameter_labels, parameter_reference
from qinqing.bulk import any_of
from qinqing.i18n import join_list
from qinqing.scoping import (
    Reach,
    is_member,
    member_enterprise_ids,
    official_covers,
    rule_for,
    visible_to,
)
from qinqing.templatetags.qinqing_format import yuan

from .errors import RosterNotAllowed
from .models import BatchRun, Claim, ClaimStatus, Disbursement, ReconciliationRun


def claims_visible_to(user: User) -> QuerySet[Claim]:
    """Members: their enterprises' claims. Officials: claims on their department's policies
    (in their district, when district-scoped). Auditors and administrators: all."""
    return visible_to(user, Claim.objects.select_related("enterprise", "policy", "version"))


def claims_of(subject: str, ids: Iterable[int], *, policy_id: int, period: str,
              fields: tuple[str, ...]) -> list[tuple]:  # fmt: skip
    """`fields` of the claims these enterprises (`subject` "enterprise_id") or persons
    ("person_id") hold under one policy for one period. Found by the ids alone, the policy
    and the period compared here: a batch adds hundreds of thousands of claims of one new
    policy faster than statistics follow (autovacuum analyses at a tenth's growth, and not
    at all where it is off), and with the policy and period beside the ids the planner,
    believing that policy has no claims, read all of them for each chunk (2 s a chunk at
    1M). By the ids alone there is one plan: their index, a few rows each. Several such
    reads in one transaction: call qinqing.bulk.plan_by_keys() first."""
    rows = Claim.objects.filter(any_of(subject, ids)).values_list("policy_id", "period", *fields)
    return [row[2:] for row in rows if row[0] == policy_id and row[1] == period]


def disbursements_visible_to(user: User) -> QuerySet[Disbursement]:
    """Officials (their department's policies, in their district) and auditors."""
    return visible_to(user, Disbursement.objects.select_related("claim__enterprise",
                                                                "claim__policy"))  # fmt: skip


def can_review_claim(user: User, claim: Claim) -> bool:
    """Apply-mode claims are reviewed by officials of the policy's department (for their
    district when district-scoped), never by a member of the claiming enterprise."""
    if claim.policy.delivery_mode != DeliveryMode.APPLY:
        return False
    if not official_covers(user, department_id=claim.policy.department_id,
                           district_id=claim.enterprise.district_id):  # fmt: skip
        return False
    return not is_member(user, claim.enterprise_id)


# The review queue reaches the reviewers only: officials of the policy's department (in
# their district), auditors and administrators; never the enterprises' members.
REVIEWERS = Reach(department="policy__department", district="enterprise__district")


def claims_awaiting_review(user: User) -> QuerySet[Claim]:
    """The review queue: claims waiting for an official, oldest first. Officials see the
    ones they may decide; auditors and administrators all of them (read only)."""
    waiting = Claim.objects.filter(status=ClaimStatus.IN_REVIEW)
    rule = rule_for(user, REVIEWERS)
    if rule is not None:
        waiting = waiting.filter(rule)
    return waiting.select_related("enterprise__district", "policy__department", "version").order_by(
        "created_at", "id"
    )


def reconciliation_runs() -> QuerySet[ReconciliationRun]:
    return ReconciliationRun.objects.select_related("triggered_by")


def batch_runs_visible_to(user: User) -> QuerySet[BatchRun]:
    """Officials: their department's policies' runs. Auditors and administrators: all."""
    return visible_to(user, BatchRun.objects.select_related("version__policy"))


# --- the claim page: each criterion's source, the amount's formula, what to do next ------


@dataclass
class CriterionView:
    """One criterion as the claim page shows it."""

    label: str
    fact: str  # the catalogue name, e.g. "hrss.insured_employees"
    fact_label: str
    value_text: str
    met: bool | None
    clause: str
    alternative: bool
    negated: bool
    department: str  # the department's name in the active language
    read_at: datetime | None


@dataclass
class ClaimExplanation:
    criteria: list[CriterionView] = field(default_factory=list)
    formula: str = ""  # the amount in words with the enterprise's values
    cap_note: str = ""
    failed: list[CriterionView] = field(default_factory=list)
    claim_again: str = ""  # when the enterprise may claim this policy again


def _chinese() -> bool:
    return (get_language() or "zh").startswith("zh")


def _fact_values(claim: Claim) -> tuple[dict[str, Any], dict[str, datetime | None]]:
    """The values the decision used and when each was read: a check keeps each fact with
    its fetch time; a batch run keeps the values and read the extracts before it ran."""
    facts = claim.facts or {}
    if "values" in facts and isinstance(facts["values"], dict):
        run_id = (claim.decision or {}).get("run")
        run = BatchRun.objects.filter(pk=run_id).first() if run_id else None
        read_at = run.extracts_as_of if run else None
        return dict(facts["values"]), dict.fromkeys(facts["values"], read_at)
    values, times = {}, {}
    for name, fact in facts.items():
        if not isinstance(fact, dict):
            continue
        values[name] = fact.get("value")
        try:
            times[name] = (
                datetime.fromisoformat(fact["fetched_at"]) if fact.get("fetched_at") else None
            )
        except (TypeError, ValueError):
            times[name] = None
    return values, times


def _parameter_words(parameter: Parameter, when: date, labels: dict[str, Any]) -> str:
    """A parameter by its label (the version's own, when it gives one) or its clause, with
    its value: "¥300.00 (第六条)"; never its internal name."""
    value = parameter.at(when)
    text = yuan(value) if parameter.type is FactType.MONEY else str(value)
    label = label_text(labels.get(parameter.name))
    reference = parameter_reference(parameter, when)
    note = " · ".join(part for part in (str(label or ""), reference) if part)
    return f"{text} ({note})" if note else text


def formula_words(expr: Expr, values: dict[str, Any], when: date, labels: dict[str, Any]) -> str:
    """A benefit formula with the enterprise's values in place: "¥300.00 (第六条) × 41 人
    （本月参保人数）"."""
    kind = expr.kind
    if kind == "amount":
        return yuan(expr.value)
    if kind == "number":
        return format(expr.value.normalize(), "f")
    if kind == "param":
        return _parameter_words(expr.parameter, when, labels)
    if kind == "fact":
        return f"{display_value(expr.fact.name, values.get(expr.fact.name))} ({expr.fact.label})"
    if kind == "tiers":
        value = values.get(expr.fact.name)
        for low, high, amount in expr.tiers:
            if (
                value is not None
                and low <= Decimal(str(value))
                and (high is None or Decimal(str(value)) < high)
            ):
                return _("%(amount)s, the band for %(fact)s of %(value)s") % {
                    "amount": formula_words(amount, values, when, labels),
                    "fact": expr.fact.label,
                    "value": display_value(expr.fact.name, value),
                }
        return _("the band for %(fact)s of %(value)s") % {
            "fact": expr.fact.label,
            "value": display_value(expr.fact.name, value),
        }
    if kind == "choose":
        value = values.get(expr.fact.name)
        amount = dict(expr.cases).get(value, expr.otherwise)
        return _("%(amount)s, the amount for %(fact)s of %(value)s") % {
            "amount": formula_words(amount, values, when, labels),
            "fact": expr.fact.label,
            "value": display_value(expr.fact.name, value),
        }
    parts = [formula_words(child, values, when, labels) for child in expr.children]
    if kind in ("add", "sub", "mul"):
        joined = {"add": " + ", "sub": " − ", "mul": " × "}[kind].join(parts)
        return f"({joined})" if len(parts) > 1 and kind != "mul" else joined
    smaller = _("the smaller of %(items)s") if kind == "min" else _("the larger of %(items)s")
    return smaller % {"items": join_list(parts)}


def _claim_again(claim: Claim, today: date) -> str:
    """When the next claim period opens, and whether the policy is still open then."""
    version = claim.version
    period = version.claim_period
    if period == "once":
        return _(
            "This policy is claimed once per enterprise. If the department corrects "
            "its data, ask it (below) to have this claim checked again."
        )
    if period == "yearly":
        nxt = date(today.year + 1, 1, 1)
    elif period == "quarterly":
        quarter = (today.month - 1) // 3
        nxt = date(today.year + (quarter == 3), (quarter + 1) % 4 * 3 + 1, 1)
    else:
        nxt = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    if nxt > version.valid_until:
        return _(
            "This version of the policy closes on %(until)s, before its next claim "
            "period; watch for its renewal."
        ) % {"until": version.valid_until.isoformat()}
    return _(
        "You can claim again from %(day)s, when the next claim period opens; the check "
        "reads the departments' data afresh."
    ) % {"day": nxt.isoformat()}


def claim_explanation(claim: Claim) -> ClaimExplanation:
    """What the claim page shows beyond the status: per criterion the fact's value in
    words, the department that holds it and when it was read; how the amount was
    computed; for an ineligible claim, which facts failed and when to claim again."""
    departments = {d.code: d.name for d in Department.objects.all()}
    values, read_at = _fact_values(claim)
    explained = ClaimExplanation()
    for row in claim.explanation:
        name = row.get("fact", "")
        spec = CATALOGUE.get(name)
        label = row.get("label") or {}
        view = CriterionView(
            label=(label.get("zh") if _chinese() else label.get("en")) or label.get("zh", ""),
            fact=name,
            fact_label=spec.label if spec else name,
            value_text=display_value(name, row.get("value")),
            met=row.get("met"),
            clause=row.get("clause", ""),
            alternative=bool(row.get("alternative")),
            negated=bool(row.get("negated")),
            department=departments.get(row.get("department", ""), row.get("department", "")),
            read_at=read_at.get(name),
        )
        explained.criteria.append(view)
        if view.met is False and not view.alternative:
            explained.failed.append(view)
    if claim.status == ClaimStatus.INELIGIBLE and not explained.failed:
        explained.failed = [c for c in explained.criteria if c.met is False]
    rules_on = (claim.decision or {}).get("rules_on")
    when = date.fromisoformat(rules_on) if rules_on else timezone.localdate(claim.created_at)
    if claim.amount is not None and claim.decision:
        try:
            rules = claim.version.rules
            labels = parameter_labels(claim.version.parameters)
            text = formula_words(rules.benefit, values, when, labels)
        except (RuleError, KeyError, ValueError, ArithmeticError):
            text = ""
        if text:
            explained.formula = f"{text} = {yuan(claim.amount)}"
        cap = claim.version.per_enterprise_cap
        if cap is not None and claim.amount == cap:
            explained.cap_note = _("at most %(cap)s per enterprise") % {"cap": yuan(cap)}
    if claim.status == ClaimStatus.INELIGIBLE:
        explained.claim_again = _claim_again(claim, timezone.localdate())
    return explained


# What a claim's state means to the enterprise (policies.selectors.ClaimState.stage).
STAGES = {
    ClaimStatus.PAID: "paid",
    ClaimStatus.OFFERED: "offered",
    **dict.fromkeys(
        (ClaimStatus.INELIGIBLE, ClaimStatus.REJECTED, ClaimStatus.BUDGET_EXHAUSTED,
         ClaimStatus.WITHDRAWN), "closed"),
}  # fmt: skip


def claims_in_periods(
    periods: Iterable[tuple[int, str]], enterprise_ids: Collection[int] | None = None
) -> QuerySet[Claim]:
    """The claims of these (policy id, period) pairs, of these enterprises (None: all):
    what a new claim would run into (one claim per enterprise, policy and period)."""
    wanted = Q()
    for policy_id, period in set(periods):
        wanted |= Q(policy_id=policy_id, period=period)
    if not wanted:
        return Claim.objects.none()
    claims = Claim.objects.filter(wanted).select_related("disbursement")
    if enterprise_ids is not None:
        claims = claims.filter(enterprise_id__in=list(enterprise_ids))
    return claims.only("pk", "enterprise_id", "policy_id", "status", "amount",
                       "disbursement__confirmed_at", "disbursement__status")  # fmt: skip


def claim_state(claim: Claim) -> ClaimState:
    """The claim as the pages of policies show it."""
    disbursement = getattr(claim, "disbursement", None)
    return ClaimState(
        claim_id=claim.pk, stage=STAGES.get(claim.status, "in_progress"), status=claim.status,
        label=str(ClaimStatus(claim.status).label), amount=claim.amount,
        paid_at=disbursement.confirmed_at if disbursement is not None else None,
        url=reverse("subsidies:claim", args=[claim.pk]),
        accept_url=(reverse("subsidies:confirm", args=[claim.pk])
                    if claim.status == ClaimStatus.OFFERED else ""),
    )  # fmt: skip


@dataclass(frozen=True)
class ClaimStep:
    """One step of a claim's progress as its page draws it: `state` is "done", "ended" (the
    claim stopped here: not eligible, rejected …), "waiting" (it waits here) or "" (not
    reached yet)."""

    label: str
    state: str


_PATH = [ClaimStatus.SUBMITTED, ClaimStatus.CHECKING, ClaimStatus.ELIGIBLE, ClaimStatus.PAYING,
         ClaimStatus.PAID]  # fmt: skip
# Where a claim that left the path left it: the steps before are done, the rest never come.
_LEFT_AFTER = {
    ClaimStatus.AWAITING_DATA: ClaimStatus.CHECKING,
    ClaimStatus.INELIGIBLE: ClaimStatus.CHECKING,
    ClaimStatus.BUDGET_EXHAUSTED: ClaimStatus.ELIGIBLE,
    ClaimStatus.NOTHING_DUE: ClaimStatus.ELIGIBLE,
    ClaimStatus.PAYMENT_FAILED: ClaimStatus.PAYING,
    ClaimStatus.REJECTED: ClaimStatus.IN_REVIEW,
}
_WAITS = {ClaimStatus.AWAITING_DATA, ClaimStatus.OFFERED, ClaimStatus.IN_REVIEW}


def claim_status_label(claim: Claim) -> str:
    """The claim's status as its page names it: a payment offset in full against money the
    enterprise owes back says so, not "the amount comes to nothing"."""
    if claim.status == ClaimStatus.NOTHING_DUE and claim.withheld:
        return _("Offset in full against money owed back")
    return ClaimStatus(claim.status).label


def _state(index: int, reached: int, step: str) -> str:
    if index < reached:
        return "done"
    if index > reached:
        return ""
    return "waiting" if step in _WAITS else "done"


def claim_steps(claim: Claim) -> list[ClaimStep]:
    """The claim's progress: the path its policy's mode takes (an official's review for
    apply-mode policies, the offer for confirm-mode ones), done up to where the claim is.
    A claim that stopped (not eligible, rejected, withdrawn …) shows the steps it took and
    where it ended, not greyed steps it will never reach."""
    mode = claim.policy.delivery_mode
    if mode == DeliveryMode.APPLY:
        path = [*_PATH[:2], ClaimStatus.IN_REVIEW, *_PATH[2:]]
    elif mode == DeliveryMode.CONFIRM and claim.status in (ClaimStatus.OFFERED,
                                                           ClaimStatus.WITHDRAWN):  # fmt: skip
        path = [ClaimStatus.OFFERED, *_PATH[2:]]
    else:
        path = list(_PATH)
    status = ClaimStatus(claim.status)
    if status in path:
        reached = path.index(status)
        return [ClaimStep(ClaimStatus(step).label, _state(index, reached, step))
                for index, step in enumerate(path)]  # fmt: skip
    branch = _LEFT_AFTER.get(status, path[0])
    taken = path[: path.index(branch) + 1] if branch in path else path[:1]
    last = "waiting" if status in _WAITS else "ended"
    return [*(ClaimStep(ClaimStatus(step).label, "done") for step in taken),
            ClaimStep(claim_status_label(claim), last)]  # fmt: skip


# --- the employer's roster of a policy paying persons (issue #26) -------------------------


@dataclass(frozen=True)
class RosterLine:
    """One employee on the employer's roster: what the employer needs to confirm it, and
    nothing more (no amount, no other fact about the person: docs/security.md)."""

    claim_id: int
    person_id: int
    name: str
    id_masked: str
    insured_since: date | None
    status: str
    status_label: str

    @property
    def open(self) -> bool:
        """Still to confirm or remove."""
        return self.status == ClaimStatus.OFFERED


def may_confirm_roster(user: User, enterprise: Any) -> bool:
    """Confirming is the employer's: its own members, and no one else."""
    return is_member(user, enterprise.pk)


def may_see_roster(user: User, version: Any, enterprise: Any) -> bool:
    """The employer's own members (who confirm it), and, read-only, an acting official
    whose remit covers the version's department (in the enterprise's district, when
    district-scoped): the claims on the roster are already theirs to see."""
    return may_confirm_roster(user, enterprise) or official_covers(
        user, department_id=version.policy.department_id, district_id=enterprise.district_id
    )


def roster(user: User, version: Any, enterprise: Any) -> list[RosterLine]:
    """The employees the data proposes for `version` (a version paying persons) at
    `enterprise`: every person's claim the batch run made with this employer, in name
    order, projected to name, masked identity number, insured since and status. Raises
    RosterNotAllowed for anyone but the employer's members and the officials covering the
    version's department (may_see_roster)."""
    if not may_see_roster(user, version, enterprise):
        raise RosterNotAllowed(_("Only the enterprise's own members may see its roster."))
    rows = (Claim.objects.filter(version=version, enterprise=enterprise, person__isnull=False)
            .order_by("person__name", "person_id")
            .values_list("pk", "person_id", "person__name", "person__id_masked", "status",
                         "decision"))  # fmt: skip
    labels = dict(ClaimStatus.choices)
    lines = []
    for pk, person_id, name, masked, status, decision in rows:
        since = (decision or {}).get("insured_since")
        lines.append(RosterLine(
            claim_id=pk, person_id=person_id, name=name, id_masked=masked,
            insured_since=date.fromisoformat(since) if since else None,
            status=status, status_label=str(labels.get(status, status)),
        ))  # fmt: skip
    return lines


def rosters_to_confirm(user: User) -> list[dict[str, Any]]:
    """The policies for which the user's enterprises have employees to confirm: one entry
    per (version, enterprise) with how many wait, for the enterprise's list page."""
    enterprise_ids = member_enterprise_ids(user)
    if not enterprise_ids:
        return []
    waiting = (Claim.objects.filter(enterprise_id__in=enterprise_ids, person__isnull=False,
                                    status=ClaimStatus.OFFERED)
               .values("version_id", "enterprise_id", "policy__code", "policy__title_zh",
                       "policy__title_en", "enterprise__name", "period")
               .annotate(waiting=Count("pk"))
               .order_by("policy__code", "enterprise__name"))  # fmt: skip
    zh = _chinese()
    return [{"version_id": row["version_id"], "enterprise_id": row["enterprise_id"],
             "policy_code": row["policy__code"], "enterprise": row["enterprise__name"],
             "title": row["policy__title_zh"] if zh or not row["policy__title_en"]
             else row["policy__title_en"], "period": row["period"],
             "waiting": row["waiting"]} for row in waiting]  # fmt: skip


def claims_of_person(user: User) -> QuerySet[Claim]:
    """A person's own claims (their login's person), newest first; nobody else's, and
    nothing for a login that is not a person's."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_person", False):
        return Claim.objects.none()
    return (Claim.objects.filter(person__user=user)
            .select_related("policy", "version", "enterprise", "person"))  # fmt: skip
