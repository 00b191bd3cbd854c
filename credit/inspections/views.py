"""The inspection pages: campaigns (define, publish, draw), results and recusals, and the
public verification of a draw."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from qinqing.errors import Conflict, Refused, show_on_page
from qinqing.listing import paginate
from qinqing.scoping import is_acting_official, reads_as_official

from ..forms import CampaignForm, RecusalForm, ResultForm
from ..limits import PAGE_SIZE
from . import permissions, selectors, services, verification
from .forms import PublishForm, RevealDrawForm
from .models import CampaignStatus, InspectionCampaign


def _split(text: str) -> list[str]:
    return [part.strip() for part in (text or "").replace("，", ",").split(",") if part.strip()]


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    if not reads_as_official(request.user):
        raise PermissionDenied(_("Inspection campaigns are for officials and auditors."))
    page, query = paginate(request, selectors.campaigns_visible_to(request.user), PAGE_SIZE)
    return render(request, "credit/campaigns.html", {"page": page, "query": query})


@login_required
def campaign_new(request: HttpRequest) -> HttpResponse:
    if not is_acting_official(request.user):
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
                campaign = services.create_campaign(
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
            except (Refused, Conflict) as error:
                show_on_page(request, error, form)
            else:
                return redirect("credit:campaign", pk=campaign.pk)
    return render(request, "credit/campaign_form.html", {"form": form})


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(selectors.campaigns_visible_to(request.user), pk=pk)
    drawn = getattr(campaign, "draw", None) if campaign.status == CampaignStatus.DRAWN else None
    selections = drawn.selections.select_related("enterprise") if drawn else None
    page, query = paginate(request, selections, PAGE_SIZE) if drawn else (None, "")
    if page:
        page.object_list = selectors.attach_inspectors(page.object_list)
    context = {
        "campaign": campaign,
        "draw": drawn,
        "page": page,
        "query": query,
        "progress": selectors.progress(campaign),
        "may_manage": permissions.may_manage(request.user, campaign),
        "draw_form": RevealDrawForm(),
        "publish_form": PublishForm(),
        "result_form": ResultForm(),
        "recusal_form": RecusalForm(),
        "districts": campaign.districts.all(),
        "pool": campaign.inspectors.all(),
    }
    return render(request, "credit/campaign.html", context)


@login_required
@require_POST
def campaign_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    campaign = get_object_or_404(selectors.campaigns_visible_to(request.user), pk=pk)
    if action not in ("publish", "draw"):
        raise Http404
    try:
        if action == "publish":
            form = PublishForm(request.POST)
            if not form.is_valid():
                messages.error(
                    request,
                    _("Name the public event, its date and both parties' commitments."),
                )
                return redirect("credit:campaign", pk=campaign.pk)
            data = form.cleaned_data
            services.publish_campaign(
                campaign.pk,
                actor=request.user,
                public_event=data["public_event"],
                public_event_on=data["public_event_on"],
                commitments={
                    "department": data["commitment_department"],
                    "supervisor": data["commitment_supervisor"],
                },
            )
            messages.success(request, _("Published: the population and the randomness are fixed."))
        else:
            form = RevealDrawForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Enter the public event's value."))
                return redirect("credit:campaign", pk=campaign.pk)
            data = form.cleaned_data
            services.run_draw(
                campaign.pk,
                actor=request.user,
                public_value=data["public_value"],
                reveals={
                    "department": data["reveal_department"],
                    "supervisor": data["reveal_supervisor"],
                },
            )
            messages.success(request, _("Drawn. Anyone can re-verify the draw."))
    except (Refused, Conflict) as error:
        show_on_page(request, error)
    return redirect("credit:campaign", pk=campaign.pk)


@login_required
@require_POST
def selection_result(request: HttpRequest, pk: int) -> HttpResponse:
    selection = get_object_or_404(selectors.selections_visible_to(request.user), pk=pk)
    form = ResultForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Describe what the inspection found."))
    else:
        data = form.cleaned_data
        try:
            services.record_result(
                selection.pk,
                actor=request.user,
                violation=data["violation"],
                findings=data["findings"],
                severity=data["severity"] or "general",
            )
            messages.success(request, _("The result is recorded and published."))
        except (Refused, Conflict) as error:
            show_on_page(request, error)
    return redirect("credit:campaign", pk=selection.draw.campaign_id)


@login_required
@require_POST
def selection_recuse(request: HttpRequest, pk: int) -> HttpResponse:
    selection = get_object_or_404(selectors.selections_visible_to(request.user), pk=pk)
    form = RecusalForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the inspector recuses."))
    elif form.cleaned_data["inspector"] not in selection.inspectors:
        messages.error(request, _("Not an inspector of this enterprise."))
    else:
        try:
            replacement = services.recuse(
                selection.pk,
                form.cleaned_data["inspector"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
            messages.success(
                request,
                _("Recused; %(inspector)s takes the place.") % {"inspector": replacement.inspector},
            )
        except (Refused, Conflict) as error:
            show_on_page(request, error)
    return redirect("credit:campaign", pk=selection.draw.campaign_id)


def draw_verify(request: HttpRequest, pk: int) -> HttpResponse:
    """Anyone: the published campaign (hash, algorithm), the draw (public value, seed,
    strata) and the result of recomputing it here and now."""
    campaign = get_object_or_404(
        InspectionCampaign.objects.exclude(status=CampaignStatus.DRAFT), pk=pk
    )
    found = (
        verification.verify_published(campaign) if campaign.status == CampaignStatus.DRAWN else None
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
