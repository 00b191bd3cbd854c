"""The application's tracker (live while items are open) and the applicant's answers on an
item: a supplement, a resubmission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qinqing.errors import Conflict, ServiceError, show_on_page

from .. import display
from ..models import (
    OPEN_STATES,
    Application,
    ApplicationStatus,
    Item,
    ItemStatus,
    Permit,
)
from ..selectors import (
    items_for,
)
from ..services import decisions
from ..services.access import is_applicant_side, is_item_official
from ..services.refusals import MESSAGE_MAX
from .enterprise import application_or_404, commitment_route_open

# The tracker asks for its item table again this often while an item is open.
POLL_SECONDS = 5


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
    route = applicant_side and commitment_route_open(application)
    rows = []
    for item in items:
        permit = getattr(item, "permit", None) if has_permit(item) else None
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


def has_permit(item: Item) -> bool:
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
    application = application_or_404(request, pk)
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
    except Conflict as error:
        show_on_page(request, error)
    except ServiceError as error:
        # Keep what was typed: the tracker again, the text in its box, the reason beside it.
        application = application_or_404(request, item.application_id)
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
