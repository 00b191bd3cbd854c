"""The enterprise side: my applications, starting one, the single sheet, checking the
answers, submitting, the commitment, withdrawing."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from credit.commitments import services as credit
from enterprises.selectors import enterprises_visible_to
from qinqing.errors import Conflict, ServiceError, show_on_page
from qinqing.listing import paginate

from .. import display, sheet
from ..forms import SheetForm, StatusFilterForm
from ..models import (
    APPROVED_STATES,
    Application,
    ApplicationStatus,
    ItemStatus,
    PackageKind,
)
from ..selectors import (
    applications_for,
    open_packages,
)
from ..services.access import is_applicant_side
from ..services.applications import (
    review_sheet,
    save_answers,
    start_application,
    submit_application,
    withdraw_application,
)
from ..services.commitments import approve_on_commitment
from ..services.refusals import SheetInvalid
from .refusal_messages import credit_refusal_text

logger = logging.getLogger(__name__)
PAGE_SIZE = 20
NOTICE_CODE = "approval-item"


def commitment_notice() -> Any | None:
    """The commitment text in force (credit's current_notice), or None while credit has
    none: the commitment route is then closed."""
    try:
        return credit.current_notice(NOTICE_CODE)
    except Exception:
        logger.warning("no commitment notice %s in force", NOTICE_CODE, exc_info=True)
        return None


def application_or_404(request: HttpRequest, pk: int) -> Application:
    """404 for anything outside the caller's scope: the page does not confirm it exists."""
    return get_object_or_404(
        applications_for(request.user).select_related("created_enterprise"), pk=pk
    )


def _tracker(application: Application) -> HttpResponse:
    return redirect("approvals:tracker", pk=application.pk)


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    """My applications (an official's: those holding an item of theirs), and the packages
    I can start."""
    form = StatusFilterForm(request.GET or None, choices=list(ApplicationStatus.choices))
    applications = applications_for(request.user).prefetch_related("items")
    if form.is_bound:
        if form.is_valid():
            if form.cleaned_data["status"]:
                applications = applications.filter(status=form.cleaned_data["status"])
        else:
            applications = applications.none()
    page, query = paginate(request, applications, PAGE_SIZE)
    for application in page.object_list:
        statuses = [item.status for item in application.items.all()]
        application.item_total = len(statuses)
        application.item_approved = sum(status in APPROVED_STATES for status in statuses)
    packages = []
    if request.user.is_enterprise_member:
        enterprises = list(enterprises_visible_to(request.user).order_by("name"))
        for package in open_packages():
            packages.append(
                {
                    "package": package,
                    "enterprises": enterprises if package.kind == PackageKind.PROJECT else None,
                }
            )
    return render(
        request,
        "approvals/list.html",
        {"page": page, "query": query, "filter": form, "packages": packages},
    )


@login_required
@require_POST
def start(request: HttpRequest, code: str) -> HttpResponse:
    package = get_object_or_404(open_packages(), code=code)
    enterprise = None
    if package.kind == PackageKind.PROJECT:
        uscc = request.POST.get("uscc", "").strip().upper()
        enterprise = enterprises_visible_to(request.user).filter(uscc=uscc).first()
        if enterprise is None:
            messages.error(request, _("Choose which of your enterprises applies."))
            return redirect("approvals:list")
    try:
        application = start_application(package=package, actor=request.user, enterprise=enterprise)
    except ServiceError as error:
        show_on_page(request, error)
        return redirect("approvals:list")
    messages.success(
        request,
        _(
            "Your application %(reference)s has been started. Answers the "
            "departments already know are filled in: check them."
        )
        % {"reference": application.reference},
    )
    return redirect("approvals:edit", pk=application.pk)


def _sheet_context(application: Application, form: SheetForm) -> dict[str, Any]:
    fields = form.sheet_fields
    sources = display.prefill_sources(application, fields)
    by_section: dict[str, dict[str, Any]] = {}
    for sheet_field in fields:
        section = by_section.setdefault(
            sheet_field.section,
            {
                "key": sheet_field.section,
                "label": display.section_label(sheet_field.section),
                "rows": [],
            },
        )
        row = {
            "field": sheet_field,
            "bound": form[sheet_field.key],
            "source": sources.get(sheet_field.key),
        }
        if sheet_field.key in application.prefill:
            row["dispute"] = form[f"wrong__{sheet_field.key}"]
            row["dispute_note"] = form[f"wrong_note__{sheet_field.key}"]
        section["rows"].append(row)
    progress = sheet.progress(fields, application.answers)
    return {
        "application": application,
        "form": form,
        "sections": list(by_section.values()),
        "progress": [
            {
                "key": p.section,
                "label": display.section_label(p.section),
                "answered": p.answered,
                "required": p.required,
                "complete": p.complete,
            }
            for p in progress
        ],
        "all_complete": all(p.complete for p in progress),
    }


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The single sheet of a draft: save any part; errors per question; nothing typed is
    lost (on an error the page shows what was sent, and nothing is saved)."""
    application = application_or_404(request, pk)
    if application.status != ApplicationStatus.DRAFT or not is_applicant_side(
        request.user, application
    ):
        if application.status != ApplicationStatus.DRAFT:
            messages.info(
                request,
                _("This application has been submitted; its answers can no longer be changed."),
            )
        return _tracker(application)
    fields = sheet.fields_of(application.package)
    status = 200
    if request.method == "POST":
        form = SheetForm(
            fields, request.POST, answers=application.answers, prefill=application.prefill
        )
        form.is_valid()  # binds cleaned_data; the answers are checked by the service
        try:
            application = save_answers(
                application.pk,
                actor=request.user,
                answers=form.answers(),
                disputes=form.disputes() or None,
            )
        except SheetInvalid as error:
            form.add_sheet_errors(error.fields)
            status = 400
        except ServiceError as error:
            show_on_page(request, error)
            return _tracker(application)
        else:
            if "check" in request.POST:
                return redirect("approvals:review", pk=application.pk)
            messages.success(request, _("Draft saved."))
            return redirect("approvals:edit", pk=application.pk)
    else:
        form = SheetForm(fields, answers=application.answers, prefill=application.prefill)
    context = _sheet_context(application, form)
    return render(request, "approvals/edit.html", context, status=status)


@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """Check the answers before submitting: what is missing, and the items the rules will
    create with their departments and time limits."""
    application = application_or_404(request, pk)
    if application.status != ApplicationStatus.DRAFT:
        messages.info(request, _("This application has already been submitted."))
        return _tracker(application)
    summary = review_sheet(application)
    fields = sheet.fields_of(application.package)
    item_types = summary["item_types"]
    context = {
        "application": application,
        "sections": display.answer_sections(application, fields, summary["missing"]),
        "missing": summary["missing"],
        "missing_count": len(summary["missing"]),
        "item_types": [
            {"type": t, "limit": display.limit_text(t.limit_amount, t.limit_unit)}
            for t in item_types
        ],
        "can_act": is_applicant_side(request.user, application),
        "commitment_possible": commitment_route_open(application)
        and any(t.allows_commitment for t in item_types),
    }
    return render(request, "approvals/review.html", context)


def commitment_route_open(application: Application) -> bool:
    return application.package.kind == PackageKind.PROJECT and application.enterprise_id is not None


@login_required
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    application = application_or_404(request, pk)
    try:
        submit_application(application.pk, actor=request.user)
    except SheetInvalid as error:
        messages.error(
            request,
            _("Some answers are missing or need correcting: %(count)d.")
            % {"count": len(error.fields)},
        )
        return redirect("approvals:review", pk=application.pk)
    except ServiceError as error:
        show_on_page(request, error)
        if isinstance(error, Conflict):
            return _tracker(application)
        return redirect("approvals:review", pk=application.pk)
    messages.success(
        request, _("Submitted. Every department has received its item; follow them here.")
    )
    return _tracker(application)


@login_required
@require_http_methods(["GET", "POST"])
def commitment(request: HttpRequest, pk: int) -> HttpResponse:
    """Approval on commitment: the notice in force, what it costs if untrue, what each
    department will verify; "I accept" submits (a draft) or approves the open items."""
    application = application_or_404(request, pk)
    if not is_applicant_side(request.user, application):
        raise PermissionDenied(_("Only the applicant or the enterprise's members may do this."))
    notice = commitment_notice()
    draft = application.status == ApplicationStatus.DRAFT
    if draft:
        types = [t for t in review_sheet(application)["item_types"] if t.allows_commitment]
        targets = [
            {
                "name": t.name,
                "department": t.department.name,
                "checks": t.commitment_checks or t.name,
                "id": None,
            }
            for t in types
        ]
    else:
        open_items = application.items.select_related("item_type", "department").filter(
            status=ItemStatus.PENDING, item_type__allows_commitment=True
        )
        wanted = _int_list(
            request.POST.getlist("item")
            if request.method == "POST"
            else request.GET.getlist("item")
        )
        if wanted:
            open_items = open_items.filter(pk__in=wanted)
        targets = [
            {
                "name": i.item_type.name,
                "department": i.department.name,
                "checks": i.item_type.commitment_checks or i.item_type.name,
                "id": i.pk,
            }
            for i in open_items
        ]
    if not commitment_route_open(application):
        messages.error(request, _("The commitment route is for registered enterprises."))
        return _tracker(application)
    if not draft and application.status != ApplicationStatus.IN_REVIEW:
        messages.warning(
            request, _("No item of this application can be approved on commitment now.")
        )
        return _tracker(application)
    error = ""
    if request.method == "POST":
        if notice is None:
            messages.error(
                request,
                _("Approval on commitment is not available right now; submit for review instead."),
            )
            return redirect("approvals:review" if draft else "approvals:tracker", pk=application.pk)
        if request.POST.get("accept") != "on":
            error = _("Tick “I accept” to sign the commitment, or go back.")
        elif request.POST.get("notice", "") != getattr(notice, "sha256", ""):
            error = _(
                "The commitment text has changed since you opened this page. Read it "
                "again below before you accept it."
            )
        else:
            return _sign(request, application, draft, [t["id"] for t in targets if t["id"]])
    context = {
        "application": application,
        "notice": notice,
        "targets": targets,
        "draft": draft,
        "error": error,
    }
    return render(request, "approvals/commitment.html", context, status=400 if error else 200)


def _int_list(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isascii() and v.isdigit() and len(v) < 12]


def _sign(
    request: HttpRequest, application: Application, draft: bool, item_ids: list[int]
) -> HttpResponse:
    try:
        if draft:
            submit_application(application.pk, actor=request.user, on_commitment=True)
        else:
            approve_on_commitment(application.pk, actor=request.user, item_ids=item_ids or None)
    except SheetInvalid as error:
        messages.error(
            request,
            _("Some answers are missing or need correcting: %(count)d.")
            % {"count": len(error.fields)},
        )
        return redirect("approvals:review", pk=application.pk)
    except Conflict as error:
        show_on_page(request, error)
        return _tracker(application)
    except ServiceError as error:
        show_on_page(request, error)
        return redirect("approvals:review" if draft else "approvals:tracker", pk=application.pk)
    except (ValidationError, PermissionDenied) as error:  # refused by the credit records
        messages.error(request, credit_refusal_text(error))
        return redirect("approvals:review" if draft else "approvals:tracker", pk=application.pk)
    messages.success(
        request,
        _(
            "Commitment signed: the items it covers are approved. Each "
            "department will verify what you committed to."
        ),
    )
    return _tracker(application)


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    application = application_or_404(request, pk)
    try:
        withdraw_application(application.pk, actor=request.user)
    except ServiceError as error:
        show_on_page(request, error)
    else:
        messages.success(request, _("The application has been withdrawn."))
    return _tracker(application)
