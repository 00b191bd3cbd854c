"""Pages: dual-random inspection campaigns (officials of the department), the public page
re-verifying a draw, and credit repair (the enterprise applies on a record; officials of
the record's department decide)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from enterprises.selectors import can_edit_enterprise
from qinqing.listing import paginate

from . import inspections, repair
from .forms import (
    CampaignForm,
    DrawForm,
    RecusalForm,
    RepairDecisionForm,
    RepairForm,
    ResultForm,
)
from .models import (
    MIN_REPAIR_MONTHS,
    CampaignStatus,
    InspectionCampaign,
    RepairStatus,
)
from .selectors import records_visible_to
from .services import CreditRefused, current_notice

PAGE_SIZE = 25


def _refusal(error: CreditRefused) -> str:
    return " ".join(error.messages)


def _split(text: str) -> list[str]:
    return [part.strip() for part in (text or "").replace("，", ",").split(",") if part.strip()]


# --- Campaigns ----------------------------------------------------------------------------


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    if not (request.user.is_official or request.user.sees_everything):
        raise PermissionDenied(_("Inspection campaigns are for officials and auditors."))
    page, query = paginate(request, inspections.campaigns_visible_to(request.user), PAGE_SIZE)
    return render(request, "credit/campaigns.html", {"page": page, "query": query})


@login_required
def campaign_new(request: HttpRequest) -> HttpResponse:
    if not request.user.is_official:
        raise PermissionDenied(_("Only department officials define inspection campaigns."))
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        names = _split(data["inspectors"])
        pool = list(User.objects.filter(username__in=names))
        if len(pool) != len(set(names)):
            form.add_error("inspectors", _("Unknown username in the pool."))
        else:
            try:
                campaign = inspections.create_campaign(
                    actor=request.user,
                    title=data["title"],
                    items=data["items"].splitlines(),
                    district_codes=_split(data["districts"]),
                    industries=_split(data["industries"]),
                    ratios={
                        "A": data["ratio_a"],
                        "B": data["ratio_b"],
                        "C": data["ratio_c"],
                        "D": data["ratio_d"],
                    },
                    inspectors=pool,
                    inspectors_per_enterprise=data["inspectors_per_enterprise"],
                )
            except CreditRefused as error:
                form.add_error(None, _refusal(error))
            else:
                return redirect("credit:campaign", pk=campaign.pk)
    return render(request, "credit/campaign_form.html", {"form": form})


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(inspections.campaigns_visible_to(request.user), pk=pk)
    drawn = getattr(campaign, "draw", None) if campaign.status == CampaignStatus.DRAWN else None
    selections = drawn.selections.select_related("enterprise") if drawn else None
    page, query = paginate(request, selections, PAGE_SIZE) if drawn else (None, "")
    if page:
        page.object_list = inspections.attach_inspectors(page.object_list)
    context = {
        "campaign": campaign,
        "draw": drawn,
        "page": page,
        "query": query,
        "progress": inspections.progress(campaign),
        "may_manage": inspections.may_manage(request.user, campaign),
        "draw_form": DrawForm(),
        "result_form": ResultForm(),
        "recusal_form": RecusalForm(),
        "districts": campaign.districts.all(),
        "pool": campaign.inspectors.all(),
    }
    return render(request, "credit/campaign.html", context)


@login_required
@require_POST
def campaign_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    campaign = get_object_or_404(inspections.campaigns_visible_to(request.user), pk=pk)
    if action not in ("publish", "draw"):
        raise Http404
    try:
        if action == "publish":
            inspections.publish_campaign(campaign.pk, actor=request.user)
            messages.success(request, _("Published: the population's hash is fixed."))
        else:
            form = DrawForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Enter the public value fixed for the draw."))
                return redirect("credit:campaign", pk=campaign.pk)
            inspections.run_draw(
                campaign.pk, actor=request.user, public_value=form.cleaned_data["public_value"]
            )
            messages.success(request, _("Drawn. Anyone can re-verify the draw."))
    except CreditRefused as error:
        messages.error(request, _refusal(error))
    return redirect("credit:campaign", pk=campaign.pk)


@login_required
@require_POST
def selection_result(request: HttpRequest, pk: int) -> HttpResponse:
    selection = get_object_or_404(inspections.selections_visible_to(request.user), pk=pk)
    form = ResultForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Describe what the inspection found."))
    else:
        data = form.cleaned_data
        try:
            inspections.record_result(
                selection.pk,
                actor=request.user,
                violation=data["violation"],
                findings=data["findings"],
                severity=data["severity"] or "general",
            )
            messages.success(request, _("The result is recorded and published."))
        except CreditRefused as error:
            messages.error(request, _refusal(error))
    return redirect("credit:campaign", pk=selection.draw.campaign_id)


@login_required
@require_POST
def selection_recuse(request: HttpRequest, pk: int) -> HttpResponse:
    selection = get_object_or_404(inspections.selections_visible_to(request.user), pk=pk)
    form = RecusalForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the inspector recuses."))
    elif form.cleaned_data["inspector"] not in selection.inspectors:
        messages.error(request, _("Not an inspector of this enterprise."))
    else:
        try:
            replacement = inspections.recuse(
                selection.pk,
                form.cleaned_data["inspector"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
            messages.success(
                request,
                _("Recused; %(inspector)s takes the place.") % {"inspector": replacement.inspector},
            )
        except CreditRefused as error:
            messages.error(request, _refusal(error))
    return redirect("credit:campaign", pk=selection.draw.campaign_id)


def draw_verify(request: HttpRequest, pk: int) -> HttpResponse:
    """Anyone: the published campaign (hash, algorithm), the draw (public value, seed,
    strata) and the result of recomputing it here and now."""
    campaign = get_object_or_404(
        InspectionCampaign.objects.exclude(status=CampaignStatus.DRAFT), pk=pk
    )
    found = (
        inspections.verify_published(campaign) if campaign.status == CampaignStatus.DRAWN else None
    )
    return render(
        request,
        "credit/draw_verify.html",
        {
            "campaign": campaign,
            "draw": getattr(campaign, "draw", None) if found else None,
            "verification": found,
            "items": campaign.items,
        },
    )


# --- Repair -------------------------------------------------------------------------------


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
            repair.apply_for_repair(
                found.pk, actor=request.user, evidence=form.cleaned_data["evidence"]
            )
        except CreditRefused as error:
            form.add_error(None, _refusal(error))
        else:
            messages.success(
                request, _("Your repair application is awaiting the department's decision.")
            )
            return redirect("credit:repairs")
    context = {
        "form": form,
        "record": found,
        "earliest": repair.repairable_from(found),
        "months": MIN_REPAIR_MONTHS[found.severity],
        "notice": current_notice("standalone"),
    }
    return render(request, "credit/repair_form.html", context)


@login_required
def repair_list(request: HttpRequest) -> HttpResponse:
    """Members: their applications. Officials: the queue of their department's records."""
    applications = repair.repairs_visible_to(request.user)
    status = request.GET.get("status", "")
    if status in RepairStatus.values:
        applications = applications.filter(status=status)
    page, query = paginate(request, applications, PAGE_SIZE)
    rows = [
        (
            application,
            repair.may_decide(request.user, application)
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
    application = get_object_or_404(repair.repairs_visible_to(request.user), pk=pk)
    form = RepairDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return redirect("credit:repairs")
    try:
        decided = repair.decide_repair(
            application.pk,
            actor=request.user,
            approve=form.cleaned_data["decision"] == "approve",
            reason=form.cleaned_data["reason"],
        )
        messages.success(
            request, _("Repair application: %(status)s.") % {"status": decided.get_status_display()}
        )
    except CreditRefused as error:
        messages.error(request, _refusal(error))
    return redirect("credit:repairs")
