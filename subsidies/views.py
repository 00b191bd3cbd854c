"""Pages: claim (from the calculator or a policy page), the live claim page, the claims
list (filters, export, batch runs)."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from enterprises.selectors import enterprises_visible_to
from policies.models import Beneficiary, Policy, PolicyVersion
from policies.watches import open_watch
from qinqing.errors import ServiceError, show_on_page
from qinqing.exports import FORMATS, export_response
from qinqing.listing import filtered, paginate
from qinqing.queueing import queue_on_commit
from qinqing.scoping import is_acting_official, reads_as_official

from .batch import progress as batch_progress
from .claims import (
    REVIEW_NOTE_MAX,
    approve_claim,
    can_retry_payment,
    confirm_offer,
    reject_claim,
    retry_payment,
    submit_claim,
)
from .errors import RosterNotAllowed
from .filters import ClaimFilter, ReviewQueueFilter
from .models import BatchRun, ClaimStatus
from .reevaluation import runs_of as reevaluation_runs
from .roster import REASON_MAX as ROSTER_REASON_MAX
from .roster import confirm_roster
from .selectors import (
    batch_runs_visible_to,
    can_review_claim,
    claim_status_label,
    claim_steps,
    claims_awaiting_review,
    claims_visible_to,
    may_confirm_roster,
    reconciliation_runs,
    roster,
    rosters_to_confirm,
)

# Settled, or waiting for the enterprise itself: nothing to poll for.
FINAL = {ClaimStatus.PAID, ClaimStatus.INELIGIBLE, ClaimStatus.BUDGET_EXHAUSTED,
         ClaimStatus.PAYMENT_FAILED, ClaimStatus.WITHDRAWN, ClaimStatus.OFFERED,
         ClaimStatus.REJECTED, ClaimStatus.NOTHING_DUE}  # fmt: skip
# An official's review takes hours, not seconds: look again now and then.
SLOW_POLL = {ClaimStatus.IN_REVIEW}
EXPORT_LIMIT = 50_000


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
    except ServiceError as error:
        show_on_page(request, error)
        return redirect("policies:calculator")
    return redirect("subsidies:claim", pk=claim.pk)


@login_required
def claim_page(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(claims_visible_to(request.user).select_related("disbursement"),
                              pk=pk)  # fmt: skip
    watching = claim.status == ClaimStatus.INELIGIBLE and open_watch(
        request.user, claim.enterprise, claim.policy) is not None  # fmt: skip
    context = {"claim": claim, "final": claim.status in FINAL, "steps": claim_steps(claim),
               "status_label": claim_status_label(claim),
               "watching": watching,
               "poll_seconds": 30 if claim.status in SLOW_POLL else 1,
               "can_review": claim.status == ClaimStatus.IN_REVIEW
               and can_review_claim(request.user, claim),
               "can_retry": claim.status == ClaimStatus.PAYMENT_FAILED
               and is_acting_official(request.user)
               and can_retry_payment(request.user, claim)}  # fmt: skip
    # htmx polls the status panel until the claim is settled.
    template = "subsidies/_claim_status.html" if request.htmx else "subsidies/claim.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def claim_list(request: HttpRequest) -> HttpResponse:
    scoped = claims_visible_to(request.user)
    filterset, claims = filtered(ClaimFilter, request, scoped)
    export_format = request.GET.get("export")
    if export_format in FORMATS and reads_as_official(request.user):  # fmt: skip
        return _export(claims[:EXPORT_LIMIT], export_format)
    page, query = paginate(request, claims, 25)
    return render(request, "subsidies/claims.html",
                  {"page": page, "query": query, "filter": filterset,
                   "runs": batch_runs_visible_to(request.user)[:10]})  # fmt: skip


@login_required
def batch_run(request: HttpRequest, pk: int) -> HttpResponse:
    """A batch run's live progress: htmx asks again every two seconds until it is done."""
    run = get_object_or_404(batch_runs_visible_to(request.user), pk=pk)
    context = {"run": run, "figures": batch_progress(run),
               "finished": run.status != BatchRun.Status.RUNNING,
               "pays_persons": run.version.beneficiary == Beneficiary.PERSON,
               "reevaluations": reevaluation_runs(run.version_id)}  # fmt: skip
    template = "subsidies/_batch_progress.html" if request.htmx else "subsidies/batch_run.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _export(claims, export_format: str) -> HttpResponse:
    header = ["id", "policy", "version", "uscc", "enterprise", "district", "period", "status",
              "amount", "origin", "created_at", "payment_reference"]  # fmt: skip
    rows = (
        [claim.pk, claim.policy.code, claim.version.number, claim.enterprise.uscc,
         claim.enterprise.name, claim.enterprise.district.code, claim.period, claim.status,
         claim.amount, claim.origin, claim.created_at,
         claim.disbursement.reference if hasattr(claim, "disbursement") else ""]
        for claim in claims.select_related("enterprise__district", "disbursement")
    )  # fmt: skip
    return export_response(export_format, "claims", header, rows)


@login_required
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """One click on an offer found by a batch run."""
    claim = get_object_or_404(claims_visible_to(request.user), pk=pk)
    try:
        confirm_offer(claim.pk, actor=request.user)
    except ServiceError as error:
        show_on_page(request, error)
    return redirect("subsidies:claim", pk=claim.pk)


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    """Apply-mode claims waiting for an official, oldest first."""
    if not reads_as_official(request.user):
        raise PermissionDenied(_("The review queue is for officials and auditors."))
    scoped_filter = partial(ReviewQueueFilter, user=request.user)
    filterset, claims = filtered(scoped_filter, request, claims_awaiting_review(request.user))
    page, query = paginate(request, claims, 25)
    return render(request, "subsidies/review_queue.html",
                  {"page": page, "query": query, "filter": filterset})  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """Approve or reject: GET asks for confirmation (and the reason), POST decides."""
    if not is_acting_official(request.user):
        raise PermissionDenied(_("Only officials review claims."))
    claim = get_object_or_404(claims_visible_to(request.user), pk=pk)
    reason = request.POST.get("reason", "")
    error = ""
    if request.method == "POST":
        try:
            if decision == "approve":
                approve_claim(claim.pk, actor=request.user)
                messages.success(request, _("Claim #%(id)s approved: the payment is on its way.")
                                 % {"id": claim.pk})  # fmt: skip
            else:
                reject_claim(claim.pk, actor=request.user, reason=reason)
                messages.success(request, _("Claim #%(id)s rejected; the enterprise sees your "
                                            "reason.") % {"id": claim.pk})  # fmt: skip
        except ServiceError as refusal:
            error = str(refusal.message)
        else:
            return redirect("subsidies:review_queue")
    elif not can_review_claim(request.user, claim) or claim.status != ClaimStatus.IN_REVIEW:
        messages.error(request, _("You cannot review this claim now."))
        return redirect("subsidies:claim", pk=claim.pk)
    # A refusal about the reason (none, or too long) is shown on its field as well.
    about_reason = decision != "approve" and (not reason.strip() or len(reason) > REVIEW_NOTE_MAX)
    context = {"claim": claim, "decision": decision, "reason": reason, "error": error,
               "reason_error": error if about_reason else "",
               "reason_max": REVIEW_NOTE_MAX}  # fmt: skip
    return render(request, "subsidies/review_confirm.html", context, status=400 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Try a failed payment again: GET asks for confirmation and the reason, POST retries."""
    if not is_acting_official(request.user):
        raise PermissionDenied(_("Only officials retry payments."))
    claim = get_object_or_404(claims_visible_to(request.user).select_related("disbursement"),
                              pk=pk)  # fmt: skip
    reason = request.POST.get("reason", "")
    error = ""
    if request.method == "POST":
        try:
            retry_payment(claim.pk, actor=request.user, reason=reason)
        except ServiceError as refusal:
            error = str(refusal.message)
        else:
            messages.success(request, _("The payment of claim #%(id)s is being tried again.")
                             % {"id": claim.pk})  # fmt: skip
            return redirect("subsidies:claim", pk=claim.pk)
    elif claim.status != ClaimStatus.PAYMENT_FAILED or not can_retry_payment(request.user, claim):
        messages.error(request, _("You cannot retry this payment now."))
        return redirect("subsidies:claim", pk=claim.pk)
    context = {"claim": claim, "reason": reason, "error": error, "reason_max": REVIEW_NOTE_MAX}
    return render(request, "subsidies/review_retry.html", context, status=400 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def reconciliation(request: HttpRequest) -> HttpResponse:
    """Every reconciliation run with its figures and mismatches. City-wide money, so for
    auditors and administrators; an administrator may queue a run now."""
    if not request.user.sees_everything:
        raise PermissionDenied(_("The reconciliation report is for auditors and administrators."))
    if request.method == "POST":
        if request.user.is_auditor:  # auditors read, they never write
            raise PermissionDenied(_("Only an administrator may start a reconciliation."))
        # Robust: with the broker down the page still answers; the daily run catches up.
        queue_on_commit("subsidies.tasks.reconcile_payments", request.user.pk)
        messages.success(request, _("Reconciliation started; its run appears below when done."))
        return redirect("subsidies:reconciliation")
    page, _query = paginate(request, reconciliation_runs(), 20)
    return render(request, "subsidies/reconciliation.html", {"page": page})


# --- the employer's roster of a policy paying persons (issue #26) -------------------------


@login_required
@require_GET
def rosters(request: HttpRequest) -> HttpResponse:
    """The policies for which the member's enterprises have employees to confirm."""
    if not request.user.is_enterprise_member:
        raise PermissionDenied(_("Rosters are for the enterprises' members."))
    return render(request, "subsidies/rosters.html", {"rosters": rosters_to_confirm(request.user)})


def _roster_subject(request: HttpRequest, version_pk: int, enterprise_pk: int,
                    confirming: bool = False):  # fmt: skip
    """The version, the enterprise and its roster: for the employer's members, and, to
    read only, the officials covering the version's department (confirming: 403)."""
    enterprise = get_object_or_404(enterprises_visible_to(request.user), pk=enterprise_pk)
    version = get_object_or_404(PolicyVersion.objects.select_related("policy"), pk=version_pk)
    if confirming and not may_confirm_roster(request.user, enterprise):
        raise PermissionDenied(_("Only the enterprise's own members may confirm its roster."))
    try:
        lines = roster(request.user, version, enterprise)
    except RosterNotAllowed as refusal:
        raise PermissionDenied(str(refusal.message)) from refusal
    return version, enterprise, lines


@login_required
@require_GET
def roster_page(request: HttpRequest, version_pk: int, enterprise_pk: int) -> HttpResponse:
    """The employees the data proposes, each with a box to tick for those who have left
    (the employer's members); an official covering the policy reads it without them."""
    version, enterprise, lines = _roster_subject(request, version_pk, enterprise_pk)
    return render(request, "subsidies/roster.html", {
        "version": version, "enterprise": enterprise, "lines": lines,
        "can_confirm": may_confirm_roster(request.user, enterprise),
        "waiting": [line for line in lines if line.open], "reason_max": ROSTER_REASON_MAX,
    })  # fmt: skip


@login_required
@require_POST
def roster_confirm(request: HttpRequest, version_pk: int, enterprise_pk: int) -> HttpResponse:
    """First POST (from the roster): the confirmation page, saying who is paid and who is
    removed. Second POST (`confirmed`): done, and back to the roster."""
    version, enterprise, lines = _roster_subject(request, version_pk, enterprise_pk,
                                                 confirming=True)  # fmt: skip
    removed = request.POST.getlist("remove")
    reason = request.POST.get("reason", "")
    waiting = {str(line.person_id): line for line in lines if line.open}
    unknown = [value for value in removed if value not in waiting]
    error = ""
    if unknown:
        error = _("Only the persons this roster lists can be removed.")
    elif removed and not reason.strip():
        error = _("Say why these persons are removed: the reason is kept.")
    elif len(reason) > ROSTER_REASON_MAX:
        error = _("The reason may be at most %(max)d characters long.") % {
            "max": ROSTER_REASON_MAX}  # fmt: skip
    if not error and request.POST.get("confirmed") == "1":
        try:
            outcome = confirm_roster(request.user, version, enterprise, removed, reason)
        except ServiceError as refusal:
            error = str(refusal.message)
        else:
            messages.success(request, _(
                "Roster confirmed: %(paid)d paid, %(removed)d removed, %(left)d no longer "
                "insured with you (withdrawn).") % {"paid": len(outcome.confirmed),
                "removed": len(outcome.removed), "left": len(outcome.left)})  # fmt: skip
            return redirect("subsidies:roster", version_pk=version.pk, enterprise_pk=enterprise.pk)
    context = {"version": version, "enterprise": enterprise, "error": error, "reason": reason,
               "removed": [waiting[value] for value in removed if value in waiting],
               "kept": [line for key, line in waiting.items() if key not in set(removed)],
               "reason_max": ROSTER_REASON_MAX}  # fmt: skip
    return render(request, "subsidies/roster_confirm.html", context, status=400 if error else 200)
