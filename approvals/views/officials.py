"""Officials: the queue (overdue, verifications due), its export, and an item's detail with
its actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.selectors import officials_of
from qinqing.errors import ServiceError, show_on_page
from qinqing.exports import FORMATS, export_response
from qinqing.forms import GuardedForm
from qinqing.listing import paginate
from qinqing.scoping import reads_as_official

from .. import display, sheet
from ..forms import QueueFilterForm
from ..models import (
    OPEN_STATES,
    Item,
)
from ..selectors import (
    items_for_official,
    overdue_items,
    review_queue,
    verification_of,
    verifications_due,
)
from ..services import decisions
from ..services.access import is_item_official
from ..services.commitments import verify_commitment
from ..services.refusals import MESSAGE_MAX, ApprovalRefused
from .refusal_messages import credit_refusal_text
from .tracking import has_permit

QUEUE_PAGE_SIZE = 25
EXPORT_LIMIT = 20_000


def _require_reviewer(user: Any) -> None:
    if not reads_as_official(user):
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
        "verification": verification_of(request.user, item),
        "permit": item.permit if has_permit(item) else None,
        "acting": acting,
        "colleagues": colleagues,
        "message_max": MESSAGE_MAX,
        "official_pause": item.pauses.filter(
            ended_at__isnull=True, reason__in=decisions.OFFICIAL_PAUSES
        ).first(),
    }
    return render(request, "approvals/item.html", context)


def _colleagues(item: Item):
    return officials_of(item.department_id, item.district_id).order_by("display_name", "username")


ACTIONS = ("approve", "reject", "supplement", "assign", "verify", "pause", "resume")
# Decisions taken on a page of their own: approving asks for confirmation (the item page
# only opens it), a rejection's reasons are checked on their field.
DECISIONS = ("approve", "reject")


class DecisionForm(GuardedForm):
    """The note of an approval (optional) or the reasons of a rejection (required)."""

    text = forms.CharField(label=gettext_lazy("Note (optional)"), required=False,
                           max_length=MESSAGE_MAX,
                           widget=forms.Textarea(attrs={"rows": 4}))  # fmt: skip

    def __init__(self, *args: Any, decision: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if decision == "reject":
            field = self.fields["text"]
            field.required = True
            field.label = gettext_lazy("Reasons")
            field.help_text = gettext_lazy("The enterprise reads them and fixes what you ask for.")
            field.error_messages["required"] = gettext_lazy(
                "Write the reasons for the rejection: the enterprise reads them."
            )


def _decision_page(request: HttpRequest, item: Item, action: str,
                   form: DecisionForm) -> HttpResponse:  # fmt: skip
    context = {"item": item, "application": item.application, "decision": action,
               "form": form, "acting": is_item_official(request.user, item)}  # fmt: skip
    return render(request, "approvals/decide.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def item_action(request: HttpRequest, item_id: int, action: str) -> HttpResponse:
    """Every official action: POST, then back to the item with a message. Approving and
    rejecting also answer GET with their own page: the confirmation (with the note) and
    the reasons, whose errors show on the field."""
    if request.method == "GET" and action not in DECISIONS:
        return HttpResponseNotAllowed(["POST"])
    _require_reviewer(request.user)
    item = _official_item(request, item_id)
    if request.method == "GET":
        return _decision_page(request, item, action, DecisionForm(decision=action))
    text = request.POST.get("text", "")
    if action in DECISIONS:
        form = DecisionForm(request.POST, decision=action)
        if not form.is_valid():
            return _decision_page(request, item, action, form)
        text = form.cleaned_data["text"]
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
    except ServiceError as error:
        show_on_page(request, error)
    except (ValidationError, PermissionDenied) as error:  # refused by the credit records
        messages.error(request, credit_refusal_text(error))
    else:
        messages.success(request, done)
    return redirect("approvals:item", item_id=item.pk)


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
    verify_commitment(item.pk, actor=request.user, passed=outcome == "passed", note=note)
    if outcome == "passed":
        return _("Verified: the commitment was kept.")
    return _("Verification failed: the approval is revoked and a credit record made.")
