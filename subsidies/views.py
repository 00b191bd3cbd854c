"""Pages: claim (from the calculator or a policy page), the live claim page, the claims
list (filters, export, batch runs)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from enterprises.selectors import enterprises_visible_to
from policies.models import Policy
from qinqing.exports import csv_response
from qinqing.listing import filtered, paginate

from .batch import confirm_offer
from .filters import ClaimFilter
from .models import BatchRun, ClaimStatus
from .selectors import claims_visible_to
from .services import ClaimRefused, submit_claim

# Settled, or waiting for the enterprise itself: nothing to poll for.
FINAL = {ClaimStatus.PAID, ClaimStatus.INELIGIBLE, ClaimStatus.BUDGET_EXHAUSTED,
         ClaimStatus.PAYMENT_FAILED, ClaimStatus.WITHDRAWN, ClaimStatus.OFFERED}  # fmt: skip
EXPORT_LIMIT = 50_000
STEPS = [ClaimStatus.SUBMITTED, ClaimStatus.CHECKING, ClaimStatus.ELIGIBLE, ClaimStatus.PAYING,
         ClaimStatus.PAID]  # fmt: skip


@login_required
@require_POST
def make_claim(request: HttpRequest, code: str) -> HttpResponse:
    if not request.user.is_enterprise_member:
        raise PermissionDenied
    enterprise = get_object_or_404(enterprises_visible_to(request.user),
                                   uscc=request.POST.get("uscc", "").upper())  # fmt: skip
    policy = get_object_or_404(Policy, code=code)
    try:
        claim, _created = submit_claim(enterprise=enterprise, policy=policy, actor=request.user)
    except ClaimRefused as error:
        messages.error(request, str(error))
        return redirect("policies:calculator")
    return redirect("subsidies:claim", pk=claim.pk)


@login_required
def claim_page(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(claims_visible_to(request.user).select_related("disbursement"),
                              pk=pk)  # fmt: skip
    context = {"claim": claim, "final": claim.status in FINAL, "steps": STEPS,
               "reached": STEPS.index(claim.status) if claim.status in STEPS else -1}  # fmt: skip
    # htmx polls the status panel until the claim is settled.
    template = "subsidies/_claim_status.html" if request.htmx else "subsidies/claim.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def claim_list(request: HttpRequest) -> HttpResponse:
    scoped = claims_visible_to(request.user)
    filterset, claims = filtered(ClaimFilter, request, scoped)
    if request.GET.get("export") == "csv" and (request.user.is_official
                                               or request.user.sees_everything):  # fmt: skip
        return _export(claims[:EXPORT_LIMIT])
    page, query = paginate(request, claims, 25)
    if request.user.sees_everything:
        runs = BatchRun.objects.all()
    elif request.user.is_official:
        runs = BatchRun.objects.filter(version__policy__department_id=request.user.department_id)
    else:
        runs = BatchRun.objects.none()
    return render(request, "subsidies/claims.html",
                  {"page": page, "query": query, "filter": filterset,
                   "runs": runs.select_related("version__policy")[:10]})  # fmt: skip


def _export(claims) -> HttpResponse:
    header = ["id", "policy", "version", "uscc", "enterprise", "district", "period", "status",
              "amount", "origin", "created_at", "payment_reference"]  # fmt: skip
    rows = (
        [claim.pk, claim.policy.code, claim.version.number, claim.enterprise.uscc,
         claim.enterprise.name, claim.enterprise.district.code, claim.period, claim.status,
         claim.amount if claim.amount is not None else "", claim.origin,
         claim.created_at.isoformat(),
         claim.disbursement.reference if hasattr(claim, "disbursement") else ""]
        for claim in claims.select_related("enterprise__district", "disbursement")
    )  # fmt: skip
    return csv_response("claims.csv", header, rows)


@login_required
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """One click on an offer found by a batch run."""
    claim = get_object_or_404(claims_visible_to(request.user), pk=pk)
    try:
        confirm_offer(claim.pk, actor=request.user)
    except ClaimRefused as error:
        messages.error(request, str(error))
    return redirect("subsidies:claim", pk=claim.pk)
