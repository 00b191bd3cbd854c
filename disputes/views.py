"""Pages: the enterprise raises a dispute (from a claim, the calculator or the data-access
log, the fact filled in), confirms it, follows it and may withdraw it; officials work
through a queue ordered by time left and decide each dispute after a confirmation page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from datahub.catalogue import CATALOGUE, PERSON_CATALOGUE
from enterprises.persons.selectors import person_of
from policies.selectors import ClaimDescription, describe_claim
from qinqing.errors import NotAllowed, NotFound, ServiceError, show_on_page
from qinqing.listing import paginate
from qinqing.scoping import reads_as_official
from qinqing.workhours.case_services import read_clock

from . import selectors, services
from .forms import DecideForm, RaiseForm
from .models import DisputeStatus, Origin


def _claim(user: Any, claim_id: Any) -> ClaimDescription | None:
    """The member's (or the person's) own claim, or a 404 (another's claim is not theirs)."""
    if claim_id in (None, ""):
        return None
    if not str(claim_id).isdigit() or not _raises(user):
        raise Http404
    found = describe_claim(user, int(claim_id))
    if found is None:
        raise Http404
    return found


def _raises(user: Any) -> bool:
    """Who raises disputes: enterprise members (their enterprises' facts) and private
    persons (facts about themselves)."""
    return user.is_enterprise_member or getattr(user, "is_person", False)


def _initial(request: HttpRequest) -> dict[str, Any]:
    """The form's starting values from the link it came from: `?fact=&claim=&from=`."""
    params = request.GET
    fact = (params.get("fact") or "").strip()[:80]
    origin = params.get("from") if params.get("from") in Origin.values else Origin.DATA_LOG
    initial: dict[str, Any] = {"origin": origin}
    if fact in (PERSON_CATALOGUE if request.user.is_person else CATALOGUE):
        initial["fact"] = fact
    claim = _claim(request.user, params.get("claim"))
    if claim is not None:
        initial |= {"claim": claim.claim_id, "origin": Origin.CLAIM}
        if not request.user.is_person:
            initial["enterprise"] = claim.enterprise_uscc
    return initial


@login_required
def dispute_list(request: HttpRequest) -> HttpResponse:
    if not _raises(request.user):
        return redirect("disputes:queue")
    page, query = paginate(request, selectors.disputes_for(request.user), 20)
    return render(request, "disputes/list.html", {"page": page, "query": query})


@login_required
def new_dispute(request: HttpRequest) -> HttpResponse:
    """Raise a dispute: the form, then a confirmation page ("send"), then the dispute. A
    person disputes a fact about themself."""
    if not _raises(request.user):
        raise PermissionDenied
    person = person_of(request.user) if request.user.is_person else None
    if request.user.is_person and person is None:
        raise PermissionDenied
    initial = _initial(request) if request.method != "POST" else {}
    form = RaiseForm(request.POST or None, request.FILES or None, user=request.user,
                     initial=initial)  # fmt: skip
    checked = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            claim = _claim(request.user, data.get("claim"))
            if "send" in request.POST:
                created = services.raise_dispute(
                    actor=request.user, enterprise=data.get("enterprise"), person=person,
                    fact=data["fact"],
                    claimed_value=data["claimed_value"], statement=data["statement"],
                    origin=data["origin"], claim=claim,
                    files=[data["attachment"]] if data.get("attachment") else [],
                )  # fmt: skip
                messages.success(request, _("Your dispute was sent to %(department)s.")
                                 % {"department": created.department.name})  # fmt: skip
                return redirect("disputes:detail", pk=created.pk)
            services.typed(services.fact_spec(data["fact"], person=person is not None),
                           data["claimed_value"], field="claimed_value")  # fmt: skip
            checked = True
        except ServiceError as error:
            show_on_page(request, error, form)
    spec = (PERSON_CATALOGUE if person else CATALOGUE).get(form["fact"].value() or "")
    return render(request, "disputes/new.html", {"form": form, "checked": checked, "spec": spec})


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = get_object_or_404(
        selectors.disputes_for(request.user).prefetch_related("pauses", "attachments"), pk=pk
    )
    official = services.is_deciding_official(request.user, dispute)
    raised = dispute.status == DisputeStatus.RAISED
    return render(request, "disputes/detail.html", {
        "dispute": dispute,
        "fact_label": selectors.fact_label(dispute),
        "held": selectors.held_text(dispute),
        "claimed": selectors.claimed_text(dispute),
        "corrected": selectors.corrected_text(dispute),
        "steps": selectors.timeline(dispute),
        "clock": read_clock(dispute) if raised else None,
        "raising_side": services.is_raising_side(request.user, dispute),
        "subject_name": selectors.subject_name(dispute),
        "official": official,
        "form": DecideForm() if official and raised else None,
    })  # fmt: skip


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    if not reads_as_official(request.user):
        raise PermissionDenied
    disputes = selectors.disputes_for(request.user).prefetch_related("pauses")
    if request.GET.get("all") != "on":
        disputes = disputes.filter(status=DisputeStatus.RAISED)
    page, query = paginate(request, selectors.by_time_left(disputes), 30)
    rows = []
    for dispute in page.object_list:
        clock = read_clock(dispute) if dispute.status == DisputeStatus.RAISED else None
        hours = clock.remaining_seconds / 3600 if clock else None
        rows.append({"dispute": dispute, "clock": clock, "hours": hours,
                     "fact": selectors.fact_label(dispute),
                     "subject": selectors.subject_name(dispute)})  # fmt: skip
    return render(request, "disputes/queue.html", {"page": page, "query": query, "rows": rows})


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The official's decision: a confirmation page first, then ("confirm") the decision."""
    dispute = get_object_or_404(selectors.disputes_for(request.user), pk=pk)
    if not services.is_deciding_official(request.user, dispute):
        raise PermissionDenied
    form = DecideForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["outcome"] == "correct":
                spec = selectors.spec_of(dispute)
                value = services.typed(spec, data["value"], field="value")
                shown = spec.display(value)
            else:
                shown = selectors.held_text(dispute)
            if "confirm" in request.POST:
                if data["outcome"] == "correct":
                    services.correct(dispute.pk, actor=request.user, value=data["value"],
                                     reason=data["reason"])  # fmt: skip
                else:
                    services.confirm(dispute.pk, actor=request.user, reason=data["reason"])
                messages.success(request, _("Decided: the enterprise is told."))
                return redirect("disputes:handle", pk=dispute.pk)
            return render(request, "disputes/decide_confirm.html", {
                "dispute": dispute, "form": form, "data": data, "shown": shown,
                "fact_label": selectors.fact_label(dispute),
                "subject_name": selectors.subject_name(dispute),
            })  # fmt: skip
        except ServiceError as error:
            show_on_page(request, error)  # as a message: the page redirects
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("disputes:handle", pk=dispute.pk)


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = get_object_or_404(selectors.disputes_for(request.user), pk=pk)
    try:
        services.withdraw(dispute.pk, actor=request.user)
    except (NotAllowed, NotFound) as error:
        raise PermissionDenied(str(error)) from error
    except ServiceError as error:
        show_on_page(request, error)
    else:
        messages.success(request, _("Your dispute was withdrawn."))
    return redirect("disputes:detail", pk=dispute.pk)


@login_required
def attachment(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    """A file, to those who may see its dispute only; always a download, never rendered."""
    dispute = get_object_or_404(selectors.disputes_for(request.user), pk=pk)
    item = get_object_or_404(dispute.attachments, pk=attachment_id)
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=item.name,
                            content_type=item.content_type)  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    return response
