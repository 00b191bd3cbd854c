"""Pages. Enterprise side: my applications, the single sheet, checking the answers, the
commitment, the tracker. Officials: the queue (overdue, verifications due) and an item's
detail with its actions. Public: verifying a permit; the printable permit.

Views are thin: reads through approvals.selectors (anything outside the caller's scope is a
404), every change through approvals.services, whose refusals come back as messages.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.selectors import officials_of
from enterprises.selectors import enterprises_visible_to
from qinqing.exports import FORMATS, export_response
from qinqing.listing import paginate

from . import display, sheet
from .forms import QueueFilterForm, SheetForm, StatusFilterForm
from .models import (
    APPROVED_STATES,
    OPEN_STATES,
    Application,
    ApplicationStatus,
    Item,
    ItemStatus,
    PackageKind,
    Permit,
)
from .selectors import (
    applications_for,
    items_for,
    items_for_official,
    open_packages,
    overdue_items,
    permit_by_code,
    review_queue,
    verifications_due,
)
from .services import decisions
from .services.access import is_applicant_side, is_item_official
from .services.applications import (
    review_sheet,
    save_answers,
    start_application,
    submit_application,
    withdraw_application,
)
from .services.commitments import approve_on_commitment, verify_commitment
from .services.refusals import (
    MESSAGE_MAX,
    ApprovalConflict,
    ApprovalRefused,
    NotAllowed,
    SheetInvalid,
)

logger = logging.getLogger(__name__)
PAGE_SIZE = 20
QUEUE_PAGE_SIZE = 25
EXPORT_LIMIT = 20_000
# The tracker asks for its item table again this often while an item is open.
POLL_SECONDS = 5
NOTICE_CODE = "approval-item"


# --- shared pieces ----------------------------------------------------------------------


def commitment_notice() -> Any | None:
    """The commitment text in force (credit.services.current_notice), or None while the
    credit app is not installed or has no notice: the commitment route is then closed."""
    if not apps.is_installed("credit"):
        return None
    try:
        from credit import services as credit
    except ImportError:
        return None
    try:
        return credit.current_notice(NOTICE_CODE)
    except Exception:
        logger.warning("no commitment notice %s in force", NOTICE_CODE, exc_info=True)
        return None


def _application(request: HttpRequest, pk: int) -> Application:
    """404 for anything outside the caller's scope: the page does not confirm it exists."""
    return get_object_or_404(
        applications_for(request.user).select_related("created_enterprise"), pk=pk
    )


def _refusal(request: HttpRequest, error: ApprovalRefused) -> None:
    """A refused action as a message in the reader's language (the services translate)."""
    if isinstance(error, ApprovalConflict):
        messages.warning(request, str(error))
    else:
        messages.error(request, str(error))


def _tracker(application: Application) -> HttpResponse:
    return redirect("approvals:tracker", pk=application.pk)


# --- enterprise side ----------------------------------------------------------------------


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
    except ApprovalRefused as error:
        _refusal(request, error)
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
    application = _application(request, pk)
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
            form.add_sheet_errors(error.errors)
            status = 400
        except ApprovalRefused as error:
            _refusal(request, error)
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
    application = _application(request, pk)
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
        "commitment_possible": _commitment_route_open(application)
        and any(t.allows_commitment for t in item_types),
    }
    return render(request, "approvals/review.html", context)


def _commitment_route_open(application: Application) -> bool:
    return application.package.kind == PackageKind.PROJECT and application.enterprise_id is not None


@login_required
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    try:
        submit_application(application.pk, actor=request.user)
    except SheetInvalid as error:
        messages.error(
            request,
            _("Some answers are missing or need correcting: %(count)d.")
            % {"count": len(error.errors)},
        )
        return redirect("approvals:review", pk=application.pk)
    except ApprovalRefused as error:
        _refusal(request, error)
        if isinstance(error, ApprovalConflict):
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
    application = _application(request, pk)
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
    if not _commitment_route_open(application):
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
            % {"count": len(error.errors)},
        )
        return redirect("approvals:review", pk=application.pk)
    except ApprovalConflict as error:
        _refusal(request, error)
        return _tracker(application)
    except ApprovalRefused as error:
        _refusal(request, error)
        return redirect("approvals:review" if draft else "approvals:tracker", pk=application.pk)
    except (ValidationError, PermissionDenied) as error:  # refused by the credit records
        messages.error(request, _credit_refusal(error))
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
    application = _application(request, pk)
    try:
        withdraw_application(application.pk, actor=request.user)
    except ApprovalRefused as error:
        _refusal(request, error)
    else:
        messages.success(request, _("The application has been withdrawn."))
    return _tracker(application)


@dataclass
class ItemRow:
    item: Item
    clock: display.Countdown
    permit: Permit | None
    messages: list[Any]
    can_commit: bool
    typed: str = ""
    error: str = ""
    has_card: bool = False


def _item_rows(request: HttpRequest, application: Application, now=None) -> list[ItemRow]:
    items = (
        items_for(request.user)
        .filter(application=application)
        .select_related("item_type", "department", "permit")
        .prefetch_related("pauses", "messages__author")
        .order_by("item_type__order", "pk")
    )
    applicant_side = is_applicant_side(request.user, application)
    route = applicant_side and _commitment_route_open(application)
    rows = []
    for item in items:
        permit = getattr(item, "permit", None) if _has_permit(item) else None
        rows.append(
            ItemRow(
                item=item,
                clock=display.countdown(item, now),
                permit=permit,
                messages=list(item.messages.all()),
                can_commit=route
                and item.status == ItemStatus.PENDING
                and item.item_type.allows_commitment,
            )
        )
    return rows


def _has_permit(item: Item) -> bool:
    try:
        item.permit  # noqa: B018 - a reverse one-to-one raises when there is none
    except Permit.DoesNotExist:
        return False
    return True


def _signature(application: Application, rows: list[ItemRow]) -> str:
    return "-".join(
        [application.status, *(f"{r.item.pk}{r.item.status[:2]}{len(r.messages)}" for r in rows)]
    )


@login_required
def tracker(request: HttpRequest, pk: int) -> HttpResponse:
    """The application's tracker; htmx asks for the live part again while items are open."""
    application = _application(request, pk)
    return _render_tracker(request, application)


def _render_tracker(
    request: HttpRequest,
    application: Application,
    *,
    typed: dict[int, str] | None = None,
    errors: dict[int, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    rows = _item_rows(request, application)
    applicant_side = is_applicant_side(request.user, application)
    for row in rows:
        row.typed = (typed or {}).get(row.item.pk, "")
        row.error = (errors or {}).get(row.item.pk, "")
        row.has_card = bool(row.messages) or (
            applicant_side and row.item.status in (ItemStatus.SUPPLEMENT, ItemStatus.REJECTED)
        )
    signature = _signature(application, rows)
    live = application.status == ApplicationStatus.IN_REVIEW or any(
        row.item.status in OPEN_STATES for row in rows
    )
    since = request.GET.get("since", "")[:500] if request.htmx else signature
    context = {
        "application": application,
        "rows": rows,
        "live": live,
        "poll_seconds": POLL_SECONDS,
        "since": since,
        "changed": since != signature,
        "applicant_side": applicant_side,
        "can_withdraw": applicant_side
        and application.status in (ApplicationStatus.DRAFT, ApplicationStatus.IN_REVIEW),
        "can_commit": any(row.can_commit for row in rows),
        "has_cards": any(row.has_card for row in rows),
        "official_items": {row.item.pk for row in rows if is_item_official(request.user, row.item)},
        "message_max": MESSAGE_MAX,
    }
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "approvals/_tracker_live.html", context)
    else:
        context["timeline"] = display.timeline(
            application, [row.item for row in rows], internal=not request.user.is_enterprise_member
        )
        response = render(request, "approvals/tracker.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _applicant_item(request: HttpRequest, item_id: int) -> Item:
    return get_object_or_404(items_for(request.user).select_related("application"), pk=item_id)


@login_required
@require_POST
def answer_supplement(request: HttpRequest, item_id: int) -> HttpResponse:
    """The applicant's answer in an item's thread; the item's clock runs again."""
    return _applicant_message(
        request,
        item_id,
        decisions.answer_supplement,
        _("Your supplement was sent; the department's clock runs again."),
    )


@login_required
@require_POST
def resubmit(request: HttpRequest, item_id: int) -> HttpResponse:
    """After a rejection: say what was fixed; the item is reviewed again."""
    return _applicant_message(
        request,
        item_id,
        decisions.resubmit_item,
        _("Resubmitted: the department reviews the item again."),
    )


def _applicant_message(request: HttpRequest, item_id: int, action, done: str) -> HttpResponse:
    item = _applicant_item(request, item_id)
    text = request.POST.get("message", "")
    try:
        action(item.pk, actor=request.user, message=text)
    except ApprovalConflict as error:
        _refusal(request, error)
    except ApprovalRefused as error:
        # Keep what was typed: the tracker again, the text in its box, the reason beside it.
        application = _application(request, item.application_id)
        return _render_tracker(
            request,
            application,
            typed={item.pk: text[:10_000]},
            errors={item.pk: str(error)},
            status=400,
        )
    else:
        messages.success(request, done)
    return redirect(reverse("approvals:tracker", args=[item.application_id]) + f"#item-{item.pk}")


# --- officials ------------------------------------------------------------------------------


def _require_reviewer(user: Any) -> None:
    if not (user.is_official or user.sees_everything):
        raise PermissionDenied(_("The approval queue is for department officials."))


TABS = ("queue", "overdue", "verifications")


@login_required
def queue(request: HttpRequest, tab: str = "queue") -> HttpResponse:
    """Open items by time left (or the overdue ones, or commitments to verify)."""
    _require_reviewer(request.user)
    form = QueueFilterForm(request.GET or None)
    status, mine = "", False
    if form.is_bound and form.is_valid():
        status, mine = form.cleaned_data["status"], form.cleaned_data["mine"]
    if tab == "overdue":
        items = overdue_items(request.user)
    elif tab == "verifications":
        items = verifications_due(request.user)
    else:
        items = review_queue(request.user, status=status, mine=mine)
    if tab != "queue" and mine:
        items = items.filter(assigned_to=request.user)
    items = items.prefetch_related("pauses")
    now = timezone.now()
    export_format = request.GET.get("export")
    if export_format in FORMATS:
        return _export(items[:EXPORT_LIMIT], export_format, tab, now)
    page, query = paginate(request, items, QUEUE_PAGE_SIZE)
    rows = [{"item": item, "clock": display.countdown(item, now)} for item in page.object_list]
    counts = {
        "overdue": overdue_items(request.user).count(),
        "verifications": verifications_due(request.user).count(),
    }
    context = {
        "page": page,
        "rows": rows,
        "query": query,
        "filter": form,
        "tab": tab,
        "counts": counts,
    }
    return render(request, "approvals/queue.html", context)


def _export(items, export_format: str, tab: str, now) -> HttpResponse:
    header = [
        "item_id",
        "application",
        "title",
        "enterprise",
        "item",
        "department",
        "district",
        "status",
        "started_at",
        "deadline",
        "remaining_working_seconds",
        "share_used",
        "verify_by",
        "assigned_to",
    ]

    def rows():
        for item in items.select_related("application__enterprise"):
            clock = display.countdown(item, now)
            enterprise = item.application.enterprise
            yield [
                item.pk,
                item.application.reference,
                item.application.title,
                enterprise.name
                if enterprise
                else item.application.answers.get("enterprise_name", ""),
                item.item_type.name,
                item.department.name,
                item.district.name if item.district else "",
                item.get_status_display(),
                item.started_at,
                clock.deadline,
                (clock.remaining_seconds or -clock.overdue_seconds)
                if clock.state != "closed"
                else None,
                round(clock.fraction_used, 3) if clock.state != "closed" else None,
                item.verify_by,
                str(item.assigned_to) if item.assigned_to else "",
            ]

    return export_response(export_format, f"approval-{tab}", header, rows())


def _official_item(request: HttpRequest, item_id: int) -> Item:
    """An item of the official's department (and district): others are a 404."""
    return get_object_or_404(
        items_for_official(request.user).select_related(
            "application__enterprise", "application__package", "permit"
        ),
        pk=item_id,
    )


@login_required
def item_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    _require_reviewer(request.user)
    item = _official_item(request, item_id)
    application = item.application
    fields = sheet.fields_of(application.package)
    keys = list(sheet.answers_for(item.item_type, application.answers))
    acting = is_item_official(request.user, item)
    colleagues = []
    if acting and item.status in OPEN_STATES:
        colleagues = list(_colleagues(item))
    context = {
        "item": item,
        "application": application,
        "sections": display.answer_sections(application, fields, keys=keys),
        "clock": display.countdown(item),
        "limit": display.limit_text(item.limit_amount, item.limit_unit),
        "thread": list(item.messages.select_related("author")),
        "permit": item.permit if _has_permit(item) else None,
        "acting": acting,
        "colleagues": colleagues,
        "message_max": MESSAGE_MAX,
        "credit_ready": apps.is_installed("credit"),
        "official_pause": item.pauses.filter(
            ended_at__isnull=True, reason__in=decisions.OFFICIAL_PAUSES
        ).first(),
    }
    return render(request, "approvals/item.html", context)


def _colleagues(item: Item):
    return officials_of(item.department_id, item.district_id).order_by("display_name", "username")


ACTIONS = ("approve", "reject", "supplement", "assign", "verify", "pause", "resume")


@login_required
@require_POST
def item_action(request: HttpRequest, item_id: int, action: str) -> HttpResponse:
    """Every official action: POST, then back to the item with a message."""
    _require_reviewer(request.user)
    item = _official_item(request, item_id)
    text = request.POST.get("text", "")
    try:
        if action == "approve":
            decisions.approve_item(item.pk, actor=request.user, note=text)
            done = _("Approved: the permit has been issued.")
        elif action == "reject":
            decisions.reject_item(item.pk, actor=request.user, reasons=text)
            done = _("Rejected: the enterprise sees your reasons.")
        elif action == "supplement":
            decisions.request_supplement(item.pk, actor=request.user, message=text)
            done = _("Supplement requested: the clock is paused until the enterprise answers.")
        elif action == "assign":
            done = _assign(request, item)
        elif action == "verify":
            done = _verify(request, item, text)
        elif action == "pause":
            decisions.pause_clock(item.pk, actor=request.user,
                                 reason=request.POST.get("reason", ""), note=text)  # fmt: skip
            done = _("The clock is paused; resume it when the hearing or review is over.")
        elif action == "resume":
            decisions.resume_clock(item.pk, actor=request.user)
            done = _("The clock runs again; the deadline has moved by the time paused.")
        else:
            raise ApprovalRefused(_("There is no such action."))
    except NotAllowed as error:
        messages.error(request, str(error))
    except ApprovalRefused as error:
        _refusal(request, error)
    except (ValidationError, PermissionDenied) as error:  # refused by the credit records
        messages.error(request, _credit_refusal(error))
    else:
        messages.success(request, done)
    return redirect("approvals:item", item_id=item.pk)


def _credit_refusal(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(str(message) for message in error.messages)
    return str(error) or _("You may not do this.")


def _assign(request: HttpRequest, item: Item) -> str:
    raw = request.POST.get("assignee", "")
    assignee = None
    if raw:
        if not (raw.isascii() and raw.isdigit() and len(raw) < 12):
            raise ApprovalRefused(_("Choose an official of the department from the list."))
        assignee = _colleagues(item).filter(pk=int(raw)).first()
        if assignee is None:
            raise ApprovalRefused(
                _("Assign the item to an official of its department and district.")
            )
    decisions.assign_item(item.pk, actor=request.user, assignee=assignee)
    if assignee is None:
        return _("The item is no longer assigned to anyone.")
    return _("Assigned to %(name)s.") % {"name": assignee}


def _verify(request: HttpRequest, item: Item, note: str) -> str:
    outcome = request.POST.get("outcome", "")
    if outcome not in ("passed", "failed"):
        raise ApprovalRefused(_("Say whether the verification passed or failed."))
    if not apps.is_installed("credit"):
        raise ApprovalRefused(
            _("Commitments cannot be verified until the credit records are available.")
        )
    verify_commitment(item.pk, actor=request.user, passed=outcome == "passed", note=note)
    if outcome == "passed":
        return _("Verified: the commitment was kept.")
    return _("Verification failed: the approval is revoked and a credit record made.")


# --- permits ------------------------------------------------------------------------------


def verify_permit(request: HttpRequest) -> HttpResponse:
    """Public: a permit by its verification code; the enterprise's name is the only party
    named."""
    code = request.GET.get("code", "")
    clean = code.strip()[:32]
    permit = permit_by_code(clean) if clean else None
    holder = ""
    if permit is not None:
        application = permit.item.application
        holder = (
            application.enterprise.name
            if application.enterprise
            else str(application.answers.get("enterprise_name", ""))
        )
    context = {"code": clean, "searched": bool(clean), "permit": permit, "holder": holder}
    return render(
        request, "approvals/verify.html", context, status=200 if permit or not clean else 404
    )


@login_required
def permit_page(request: HttpRequest, number: str) -> HttpResponse:
    """The printable permit, for the applicant side and the department's officials."""
    permit = get_object_or_404(
        Permit.objects.select_related(
            "item__item_type", "item__department", "item__application__enterprise"
        ).filter(item__in=items_for(request.user).values("pk")),
        number=number[:40],
    )
    application = permit.item.application
    holder = application.enterprise
    verify_url = (
        request.build_absolute_uri(reverse("permit_verify")) + f"?code={permit.verification_code}"
    )
    context = {
        "permit": permit,
        "item": permit.item,
        "application": application,
        "holder": holder,
        "holder_name": holder.name if holder else application.answers.get("enterprise_name", ""),
        "verify_url": verify_url,
    }
    return render(request, "approvals/permit.html", context)
