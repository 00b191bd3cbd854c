"""Pages: the enterprise's own credit (grade and why, records, commitments, lists), the
public credit page, and the officials' records, lists and commitments."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from enterprises.models import Enterprise
from enterprises.selectors import can_edit_enterprise, enterprises_visible_to
from qinqing.listing import filtered, paginate

from . import services
from .filters import CommitmentFilter, EntryFilter, RecordFilter
from .forms import DecisionForm, RecordForm
from .models import TRANSITIONS, CommitmentStatus, ListRule, RecordKind
from .selectors import (
    commitments_visible_to,
    entries_in_effect,
    explanation,
    grade_changes_visible_to,
    list_entries_visible_to,
    public_records,
    records_visible_to,
    standing,
)

PAGE_SIZE = 25


def _enterprise(request: HttpRequest, uscc: str) -> Enterprise:
    return get_object_or_404(enterprises_visible_to(request.user), uscc=uscc.upper())


def _moves_with_labels(found: dict[str, Any]) -> list[dict[str, Any]]:
    """The explanation's rows with their kinds' names, for the page."""
    return [{**move, "kind_label": RecordKind(move["kind"]).label}
            for move in found.get("records", [])]  # fmt: skip


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


@login_required
def record_list(request: HttpRequest) -> HttpResponse:
    filterset, records = filtered(RecordFilter, request, records_visible_to(request.user))
    page, query = paginate(request, records, PAGE_SIZE)
    return render(request, "credit/records.html",
                  {"page": page, "query": query, "filter": filterset})  # fmt: skip


@login_required
def record_new(request: HttpRequest) -> HttpResponse:
    """An official records a penalty, finding or reward for their own department."""
    if not request.user.is_official:
        raise PermissionDenied(_("Only department officials add credit records."))
    form = RecordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        enterprise = enterprises_visible_to(request.user).filter(uscc=data["uscc"]).first()
        if enterprise is None:
            form.add_error("uscc", _("No enterprise with this code is within your access."))
        else:
            try:
                record = services.add_record(
                    enterprise=enterprise, kind=data["kind"], severity=data["severity"],
                    title=data["title"], detail=data["detail"], legal_basis=data["legal_basis"],
                    reference=data["reference"], occurred_on=data["occurred_on"],
                    publicity_months=data["publicity_months"], actor=request.user,
                )  # fmt: skip
            except services.CreditRefused as error:
                _add_errors(form, error)
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Recorded: %(record)s.") % {"record": record.title})
                return redirect("credit:enterprise", uscc=enterprise.uscc)
    return render(request, "credit/record_form.html", {"form": form})


def _add_errors(form: RecordForm, error: services.CreditRefused) -> None:
    if hasattr(error, "error_dict"):
        for name, problems in error.message_dict.items():
            form.add_error(name if name in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


@login_required
def list_entries(request: HttpRequest) -> HttpResponse:
    """The red and black lists in the official's area, with the rules that fill them."""
    if not (request.user.is_official or request.user.sees_everything):
        raise PermissionDenied(_("The lists pages are for officials and auditors."))
    filterset, entries = filtered(EntryFilter, request, list_entries_visible_to(request.user))
    page, query = paginate(request, entries, PAGE_SIZE)
    scoped = list_entries_visible_to(request.user)
    in_effect = entries_in_effect().filter(pk__in=scoped.values("pk"))
    context = {
        "page": page, "query": query, "filter": filterset,
        "rules": ListRule.objects.order_by("list_kind", "code"),
        "red_count": in_effect.filter(list_kind="red").count(),
        "black_count": in_effect.filter(list_kind="black").count(),
    }  # fmt: skip
    return render(request, "credit/lists.html", context)


@login_required
def commitment_list(request: HttpRequest) -> HttpResponse:
    filterset, commitments = filtered(CommitmentFilter, request,
                                      commitments_visible_to(request.user))  # fmt: skip
    page, query = paginate(request, commitments, PAGE_SIZE)
    return render(request, "credit/commitments.html",
                  {"page": page, "query": query, "filter": filterset,
                   "now": timezone.now()})  # fmt: skip


# What each action on the commitment page moves the commitment to.
ACTIONS = {
    "start": CommitmentStatus.VERIFYING,
    "fulfil": CommitmentStatus.FULFILLED,
    "breach": CommitmentStatus.BREACHED,
    "penalise": CommitmentStatus.PENALISED,
    "withdraw": CommitmentStatus.WITHDRAWN,
}


def _allowed_actions(user: Any, commitment) -> list[str]:
    possible = [name for name, target in ACTIONS.items()
                if target in TRANSITIONS[commitment.status]]  # fmt: skip
    allowed = []
    for name in possible:
        may = (services.may_withdraw(user, commitment) if name == "withdraw"
               else services.may_verify(user, commitment))  # fmt: skip
        if may and user.is_authenticated and not user.sees_everything:
            allowed.append(name)
    return allowed


@login_required
def commitment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    commitment = get_object_or_404(commitments_visible_to(request.user), pk=pk)
    actions = _allowed_actions(request.user, commitment)
    context = {"commitment": commitment, "actions": actions,
               "forms": [(name, DecisionForm(prefix=name)) for name in actions],
               "records": commitment.records.select_related("department"),
               "now": timezone.now()}  # fmt: skip
    return render(request, "credit/commitment.html", context)


@login_required
@require_POST
def commitment_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    commitment = get_object_or_404(commitments_visible_to(request.user), pk=pk)
    if action not in ACTIONS or request.user.sees_everything:
        raise Http404
    form = DecisionForm(request.POST, prefix=action)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values()
                                         for e in errors))  # fmt: skip
        return redirect("credit:commitment", pk=commitment.pk)
    reason = form.cleaned_data["reason"]
    severity = form.cleaned_data["severity"] or "general"
    run = {
        "start": lambda: services.start_verification(commitment.pk, actor=request.user),
        "fulfil": lambda: services.fulfil_commitment(commitment.pk, actor=request.user,
                                                     note=reason),
        "breach": lambda: services.breach_commitment(commitment.pk, actor=request.user,
                                                     reason=reason, severity=severity),
        "penalise": lambda: services.penalise_commitment(commitment.pk, actor=request.user,
                                                         reason=reason, severity=severity),
        "withdraw": lambda: services.withdraw_commitment(commitment.pk, actor=request.user,
                                                         reason=reason),
    }[action]  # fmt: skip
    try:
        moved = run()
    except PermissionDenied as error:
        raise PermissionDenied(str(error)) from error
    except services.CreditRefused as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The commitment is now “%(status)s”.")
                         % {"status": moved.get_status_display()})  # fmt: skip
    return redirect("credit:commitment", pk=commitment.pk)
