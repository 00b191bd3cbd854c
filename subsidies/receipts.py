"""A claim's signed decision receipt (qinqing/signing.py, docs/transparency.md): the
enterprise, the policy version and its published rules with their SHA-256, each fact the
decision used (value, type, source department, read time), each criterion's outcome, the
amount and how it was computed, the decision and its time. tools/verify.py checks the
signature against the published keys and evaluates the rules on the facts again."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from datahub.catalogue import CATALOGUE
from datahub.facttypes import from_json, to_json
from policies.engine import benefit_amount
from policies.models import PolicyVersion
from qinqing.errors import Conflict, ServiceError
from qinqing.signing import canonical, receipt_file

from .models import BatchRun, Claim
from .selectors import claims_visible_to

KIND = "qinqing.claim-decision"
# The checks' outcomes a receipt attests (a claim still being checked has none yet).
DECIDED = {"eligible", "ineligible"}


def published_rules(version: PolicyVersion) -> dict[str, Any]:
    """The version's rules as published, and what the receipt hashes."""
    cap = version.per_enterprise_cap
    return {
        "criteria": version.criteria,
        "benefit": version.benefit,
        "parameters": version.parameters or {},
        "rounding": version.rounding,
        "cap": None if cap is None else str(cap),
    }


def rules_sha256(rules: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(rules)).hexdigest()


def _facts(claim: Claim, names: list[str]) -> list[dict[str, Any]]:
    stored = claim.facts or {}
    batch_values = stored.get("values") if isinstance(stored.get("values"), dict) else None
    read_at = None
    if batch_values is not None:
        run = BatchRun.objects.filter(pk=(claim.decision or {}).get("run")).first()
        read_at = run.extracts_as_of.isoformat() if run and run.extracts_as_of else None
    facts = []
    for name in names:
        spec = CATALOGUE[name]
        if batch_values is not None:
            value, when = batch_values.get(name), read_at
        else:
            row = stored.get(name) if isinstance(stored.get(name), dict) else {}
            value = row.get("value") if row.get("known", True) else None
            when = row.get("fetched_at")
        facts.append(
            {
                "name": name,
                "type": spec.type.value,
                "choices": list(spec.choices),
                "department": spec.department,
                "value": to_json(value),
                "read_at": when,
            }
        )
    return facts


def _rules_on(claim: Claim, facts: list[dict[str, Any]]) -> date:
    """The day the rules were applied: the batch run's, else the day the facts were read."""
    recorded = (claim.decision or {}).get("rules_on")
    if recorded:
        return date.fromisoformat(recorded)
    times = [datetime.fromisoformat(fact["read_at"]) for fact in facts if fact["read_at"]]
    return timezone.localdate(max(times)) if times else timezone.localdate(claim.updated_at)


def payload(claim: Claim) -> dict[str, Any]:
    decision = claim.decision or {}
    if decision.get("status") not in DECIDED:
        raise Conflict(_("This claim has not been decided yet: its receipt follows the decision."))
    version = claim.version
    rules = published_rules(version)
    facts = _facts(claim, version.rules.fact_names)
    as_of = _rules_on(claim, facts)
    amount = decision.get("amount")
    before_cap = None
    if decision.get("status") == "eligible":
        typed = {fact["name"]: from_json(CATALOGUE[fact["name"]].type, fact["value"])
                 for fact in facts}  # fmt: skip
        uncapped = benefit_amount(version.rules, typed, as_of, None)
        before_cap = None if uncapped is None else str(uncapped)
    return {
        "kind": KIND,
        "claim": claim.pk,
        "enterprise": {"uscc": claim.enterprise.uscc, "name": claim.enterprise.name},
        "policy": {
            "code": claim.policy.code,
            "version": version.number,
            "title": {"zh": claim.policy.title_zh, "en": claim.policy.title_en},
        },
        "rules": rules,
        "rules_sha256": rules_sha256(rules),
        "rules_on": as_of.isoformat(),
        "facts": facts,
        "criteria": [
            {
                "id": row.get("id"),
                "fact": row.get("fact"),
                "result": row.get("result"),
                "met": row.get("met"),
            }
            for row in claim.explanation
        ],
        "outcome": decision.get("status"),
        "amount": amount,
        "computation": {
            "formula": "rules.benefit",
            "before_cap": before_cap,
            "cap": rules["cap"],
            "rounding": version.rounding,
        },
        "decision": claim.status,
        "decided_at": (claim.reviewed_at or claim.updated_at).isoformat(),
        "issued_at": timezone.now().isoformat(),
    }


def receipt_bytes(claim: Claim) -> bytes:
    return receipt_file(payload(claim))


@login_required
@require_GET
def receipt_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The claim's receipt, for whoever may see the claim (its enterprise, its officials)."""
    claim = get_object_or_404(claims_visible_to(request.user), pk=pk)
    try:
        body = receipt_bytes(claim)
    except ServiceError as error:
        return HttpResponse(str(error), status=error.status, content_type="text/plain")
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="claim-{claim.pk}-receipt.json"'
    return response
