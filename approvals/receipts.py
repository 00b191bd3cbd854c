"""An approval item's signed decision receipt (qinqing/signing.py, docs/transparency.md):
the enterprise, the item and its published terms with their SHA-256, the answers the
department received (its facts, from the application, with the time it was submitted), the
decision (approved, on commitment, rejected…), by which department, when and why.
An item is decided by an official, not by a rule: tools/verify.py checks the signature and
the terms' hash; there is no formula to evaluate again."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from qinqing.errors import Conflict, ServiceError
from qinqing.signing import canonical, receipt_file

from .models import Item, ItemStatus
from .selectors import items_for
from .sheet import answers_for

KIND = "qinqing.approval-decision"
DECIDED = {ItemStatus.APPROVED, ItemStatus.COMMITTED, ItemStatus.VERIFIED, ItemStatus.REJECTED,
           ItemStatus.REVOKED}  # fmt: skip


def published_terms(item: Item) -> dict[str, Any]:
    kind = item.item_type
    return {
        "package": kind.package.code,
        "item": kind.code,
        "department": kind.department.code,
        "time_limit": {"amount": kind.limit_amount, "unit": kind.limit_unit},
        "fields": list(kind.field_keys),
        "allows_commitment": kind.allows_commitment,
    }


def payload(item: Item) -> dict[str, Any]:
    if item.status not in DECIDED or item.decided_at is None:
        raise Conflict(_("This item has not been decided yet: its receipt follows the decision."))
    application = item.application
    terms = published_terms(item)
    submitted = application.submitted_at.isoformat() if application.submitted_at else None
    enterprise = application.enterprise
    return {
        "kind": KIND,
        "item": item.pk,
        "application": application.reference,
        "enterprise": {
            "uscc": enterprise.uscc if enterprise else None,
            "name": enterprise.name if enterprise else None,
        },
        "rules": terms,
        "rules_sha256": hashlib.sha256(canonical(terms)).hexdigest(),
        "facts": [
            {
                "name": key,
                "value": value if isinstance(value, str | int | bool) else str(value),
                "department": "applicant",
                "read_at": submitted,
            }
            for key, value in sorted(answers_for(item.item_type, application.answers).items())
            if value is not None
        ],
        "outcome": item.status,
        "amount": None,
        "decision": item.status,
        "decided_by": {
            "department": item.department.code,
            "automatic": item.decided_by_id is None,
        },
        "note": item.decision_note,
        "verify_commitment_by": item.verify_by.isoformat() if item.verify_by else None,
        "decided_at": item.decided_at.isoformat(),
        "issued_at": timezone.now().isoformat(),
    }


@login_required
@require_GET
def receipt_download(request: HttpRequest, item_id: int) -> HttpResponse:
    """The item's receipt, for whoever may read the item (its applicant, its officials)."""
    item = get_object_or_404(items_for(request.user), pk=item_id)
    try:
        body = receipt_file(payload(item))
    except ServiceError as error:
        return HttpResponse(str(error), status=error.status, content_type="text/plain")
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="item-{item.pk}-receipt.json"'
    return response
