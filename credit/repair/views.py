"""The repair pages: an enterprise applies on a record; the record's department decides."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from enterprises.selectors import can_edit_enterprise
from qinqing.errors import Conflict, Refused, show_on_page
from qinqing.listing import paginate

from ..commitments.services import current_notice
from ..forms import RepairDecisionForm, RepairForm
from ..limits import PAGE_SIZE
from ..records.selectors import records_visible_to
from . import selectors, services
from .models import MIN_REPAIR_MONTHS, RepairStatus


@login_required
def repair_new(request: HttpRequest, record: int) -> HttpResponse:
    found = get_object_or_404(records_visible_to(request.user), pk=record)
    if not can_edit_enterprise(request.user, found.enterprise):
        raise PermissionDenied(
            _("Only the enterprise's own members may apply to repair its records.")
        )
    form = RepairForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.apply_for_repair(
                found.pk, actor=request.user, evidence=form.cleaned_data["evidence"]
            )
        except (Refused, Conflict) as error:
            show_on_page(request, error, form)
        else:
            messages.success(
                request, _("Your repair application is awaiting the department's decision.")
            )
            return redirect("credit:repairs")
    context = {
        "form": form,
        "record": found,
        "earliest": services.repairable_from(found),
        "months": MIN_REPAIR_MONTHS[found.severity],
        "notice": current_notice("standalone"),
    }
    return render(request, "credit/repair_form.html", context)


@login_required
def repair_list(request: HttpRequest) -> HttpResponse:
    """Members: their applications. Officials: the queue of their department's records."""
    applications = selectors.repairs_visible_to(request.user)
    status = request.GET.get("status", "")
    if status in RepairStatus.values:
        applications = applications.filter(status=status)
    page, query = paginate(request, applications, PAGE_SIZE)
    rows = [
        (
            application,
            services.may_decide(request.user, application)
            and application.status == RepairStatus.PENDING,
        )
        for application in page
    ]
    return render(
        request,
        "credit/repairs.html",
        {
            "page": page,
            "query": query,
            "rows": rows,
            "status": status,
            "form": RepairDecisionForm(),
            "statuses": RepairStatus.choices,
        },
    )


@login_required
@require_POST
def repair_decide(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(selectors.repairs_visible_to(request.user), pk=pk)
    form = RepairDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return redirect("credit:repairs")
    try:
        decided = services.decide_repair(
            application.pk,
            actor=request.user,
            approve=form.cleaned_data["decision"] == "approve",
            reason=form.cleaned_data["reason"],
        )
        messages.success(
            request, _("Repair application: %(status)s.") % {"status": decided.get_status_display()}
        )
    except (Refused, Conflict) as error:
        show_on_page(request, error)
    return redirect("credit:repairs")
