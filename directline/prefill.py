"""What the new-request form starts with when the user comes from somewhere: a claim found
not eligible (`?claim=<id>&fact=<name>`, the claim page's "ask for a correction" link) or a
policy (`?policy=<code>`, from the calculator or the policy page). Reads only; the claim is
found through the one scoping rule, so a member pre-fills from their own enterprises' claims
and nothing else.

The claim is read through `policies.selectors.describe_claim` (a registry subsidies fills):
the domain apps are independent of each other (pyproject's import contracts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from datahub.catalogue import CATALOGUE
from datahub.templatetags.hub_tags import fact_value
from departments.models import Department
from policies.models import Policy
from policies.selectors import ClaimDescription, describe_claim

from .models import Category
from .services.raising import nameable_policies
from .services.refusals import SUBJECT_MAX

# The category a question about a claim or a policy goes in.
PREFILL_CATEGORY = "policy_question"


class NotYours(LookupError):
    """No claim of that number among the user's enterprises' claims (a 404)."""


@dataclass
class Prefill:
    initial: dict[str, Any] = field(default_factory=dict)
    # Plain-words notes for the page (a policy code that does not exist, ...).
    notes: list[str] = field(default_factory=list)


def _claim_for(user: Any, claim_id: str) -> ClaimDescription:
    if not str(claim_id).isdigit() or not user.is_enterprise_member:
        raise NotYours(claim_id)
    claim = describe_claim(user, int(claim_id))
    if claim is None:
        raise NotYours(claim_id)
    return claim


def prefill_for(user: Any, params: Any) -> Prefill:
    """The form's starting values from the query string (`params`: request.GET)."""
    found = Prefill()
    category = Category.objects.filter(code=PREFILL_CATEGORY).first()
    claim_id = (params.get("claim") or "").strip()
    code = (params.get("policy") or "").strip()
    if claim_id:
        claim = _claim_for(user, claim_id)
        found.initial.update(_about_claim(claim, (params.get("fact") or "").strip()))
        if category is not None:
            found.initial["category"] = category.pk
        return found
    if code:
        policy = nameable_policies().filter(code=code[:60]).first()
        if policy is None:
            found.notes.append(
                _("There is no published policy with the code %(code)s: choose one below.")
                % {"code": code[:60]}
            )
            return found
        found.initial["policy"] = policy.code
        found.initial["subject"] = _truncate(
            _("Question about the policy %(policy)s") % {"policy": policy.title}
        )
        if category is not None:
            found.initial["category"] = category.pk
    return found


def _about_claim(claim: ClaimDescription, fact: str) -> dict[str, Any]:
    policy: Policy = claim.policy
    initial: dict[str, Any] = {"enterprise": claim.enterprise_uscc}
    if nameable_policies().filter(pk=policy.pk).exists():
        initial["policy"] = policy.code
    words = {
        "claim": claim.claim_id,
        "policy": policy.title,
        "period": claim.period,
        "status": claim.status_label,
    }
    spec = CATALOGUE.get(fact) if fact else None
    if spec is None:
        initial["subject"] = _truncate(
            _("Question about my claim for %(policy)s") % {"policy": policy.title}
        )
        initial["description"] = (
            _(
                "My claim no. %(claim)s for the policy “%(policy)s” (period %(period)s) is: "
                "%(status)s.\n\nMy question: "
            )
            % words
        )
        return initial
    criterion = next(
        (row for row in claim.explanation if row.get("fact") == fact and not row.get("met")),
        None,
    ) or next((row for row in claim.explanation if row.get("fact") == fact), None)
    holder = Department.objects.filter(code=spec.department).first()
    words |= {
        "fact": spec.label,
        "department": holder.name if holder else spec.department,
        "value": fact_value(criterion.get("value"), fact) if criterion else _("unknown"),
        "criterion": (criterion or {}).get("label") or spec.label,
    }
    initial["subject"] = _truncate(_("Please check “%(fact)s” for my claim for %(policy)s") % words)
    initial["description"] = (
        _(
            "My claim no. %(claim)s for the policy “%(policy)s” (period %(period)s) was found not "
            "eligible: the condition “%(criterion)s” was not met.\n\n"
            "It was decided on “%(fact)s”, which %(department)s holds for my enterprise: "
            "%(value)s.\n\n"
            "I believe this is not right. The correct value is: \n\n"
            "Please check it with %(department)s and correct it."
        )
        % words
    )
    return initial


def _truncate(text: str) -> str:
    return text if len(text) <= SUBJECT_MAX else text[: SUBJECT_MAX - 1] + "…"
