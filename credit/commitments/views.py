"""The commitments pages: the list in the user's scope, one commitment, and its steps."""

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

from qinqing.errors import Conflict, Refused, show_on_page
from qinqing.listing import filtered, paginate

from ..filters import CommitmentFilter
from ..forms import DecisionForm
from ..limits import PAGE_SIZE
from . import services
from .models import Commitment, CommitmentStatus
from .selectors import commitments_visible_to


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
                if Commitment.transitions.allows(commitment.status, target)]  # fmt: skip
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
    except (Refused, Conflict) as error:
        show_on_page(request, error)
    else:
        messages.success(request, _("The commitment is now “%(status)s”.")
                         % {"status": moved.get_status_display()})  # fmt: skip
    return redirect("credit:commitment", pk=commitment.pk)
