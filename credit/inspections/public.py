"""The public index of draws (no login): every published campaign with its rules, its
commitments and, once drawn, its reveals, public value, seed, strata and the files that let
anyone recompute it with tools/verify.py (docs/transparency.md)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from qinqing.listing import paginate

from ..limits import PAGE_SIZE
from .models import RATIO_BANDS, CampaignStatus, DrawFiles, InspectionCampaign
from .publication import FALLBACK_RULE, file_bytes

FILES = {
    "draw.json": "application/json; charset=utf-8",
    "population.txt": "text/plain; charset=us-ascii",
    "selection.txt": "text/plain; charset=us-ascii",
}


def _published() -> QuerySet[InspectionCampaign]:
    return (
        InspectionCampaign.objects.exclude(status=CampaignStatus.DRAFT)
        .select_related("department", "draw")
        .order_by("-published_at", "-pk")
    )


@require_GET
def draw_index(request: HttpRequest) -> HttpResponse:
    page, query = paginate(request, _published(), PAGE_SIZE)
    return render(request, "credit/draws.html", {"page": page, "query": query})


@require_GET
def draw_public(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(_published(), pk=pk)
    drawn = getattr(campaign, "draw", None) if campaign.status == CampaignStatus.DRAWN else None
    has_files = drawn is not None and DrawFiles.objects.filter(draw=drawn).exists()
    context = {
        "campaign": campaign,
        "draw": drawn,
        "has_files": has_files,
        "files": list(FILES),
        "bands": RATIO_BANDS,
        "fallback_rule": FALLBACK_RULE,
    }
    return render(request, "credit/draw_public.html", context)


@require_GET
def draw_file(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    if name not in FILES:
        raise Http404
    files = get_object_or_404(
        DrawFiles.objects.filter(draw__campaign__status=CampaignStatus.DRAWN), draw__campaign=pk
    )
    response = HttpResponse(file_bytes(files, name), content_type=FILES[name])
    response["Content-Disposition"] = f'attachment; filename="draw-{pk}-{name}"'
    return response
