"""The enterprise's credit pages: its own (grade and why, records, commitments, list
entries, grade history) and the public one."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from enterprises.models import Enterprise
from enterprises.selectors import can_edit_enterprise, enterprises_visible_to
from qinqing.listing import paginate

from .commitments.selectors import commitments_visible_to
from .grades.selectors import grade_changes_visible_to
from .limits import PAGE_SIZE
from .lists.selectors import list_entries_visible_to
from .records.models import CreditRecord, RecordKind
from .records.selectors import public_records, records_visible_to
from .records.titles import record_title
from .standing import explanation, standing


def _enterprise(request: HttpRequest, uscc: str) -> Enterprise:
    return get_object_or_404(enterprises_visible_to(request.user), uscc=uscc.upper())


def _moves_with_labels(found: dict[str, Any]) -> list[dict[str, Any]]:
    """The explanation's rows with their kinds' names and their records' titles in words
    (a commitment's record by what it was about, not by its reference), for the page."""
    moves = found.get("records", [])
    records = CreditRecord.objects.select_related("commitment__notice").in_bulk(
        [move["record"] for move in moves]
    )
    return [{**move, "kind_label": RecordKind(move["kind"]).label,
             "title": record_title(records[move["record"]]) if move["record"] in records
             else move["title"]}
            for move in moves]  # fmt: skip


@login_required
def enterprise_credit(request: HttpRequest, uscc: str) -> HttpResponse:
    """The enterprise's own view (and, in their scope, officials' and auditors'): its grade
    and why, every record, its commitments, list entries and grade history."""
    enterprise = _enterprise(request, uscc)
    current = standing(enterprise)
    found = explanation(enterprise, current)
    records = records_visible_to(request.user).filter(enterprise=enterprise)
    page, query = paginate(request, records, PAGE_SIZE)
    context = {
        "enterprise": enterprise, "standing": current, "explanation": found,
        "moves": _moves_with_labels(found), "page": page, "query": query,
        "commitments": commitments_visible_to(request.user).filter(enterprise=enterprise)[:50],
        "entries": list_entries_visible_to(request.user).filter(enterprise=enterprise)[:20],
        "history": grade_changes_visible_to(request.user).filter(enterprise=enterprise)[:20],
        "today": timezone.localdate(),
        "may_repair": can_edit_enterprise(request.user, enterprise),
    }  # fmt: skip
    return render(request, "credit/enterprise.html", context)


def public_credit(request: HttpRequest, uscc: str) -> HttpResponse:
    """Anyone: the grade, the lists as they stand, and records within their publicity
    window — nothing else."""
    enterprise = Enterprise.objects.select_related("district").filter(uscc=uscc.upper()).first()
    if enterprise is None:
        raise Http404(_("No enterprise with this code."))
    today = timezone.localdate()
    records = public_records(enterprise, today)
    page, query = paginate(request, records, PAGE_SIZE)
    context = {"enterprise": enterprise, "standing": standing(enterprise, today), "page": page,
               "query": query, "today": today}  # fmt: skip
    return render(request, "credit/public.html", context)
