"""Pages: the recovery orders (list, one order with how it is settled), repaying now and
appealing (the enterprise), raising and waiving with a reason (officials). Thin: the
services decide; a refusal is shown on the page (qinqing.errors)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from qinqing.errors import ServiceError, show_on_page
from qinqing.listing import paginate
from qinqing.scoping import is_acting_official, is_member

from .forms import AppealForm, RaiseForm, ReasonForm
from .models import OrderStatus
from .selectors import orders_visible_to, totals
from .services import appeal, raise_by_official, request_repayment, waive


@login_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    orders = orders_visible_to(request.user)
    status = request.GET.get("status", "")
    if status in OrderStatus.values:
        orders = orders.filter(status=status)
    page, query = paginate(request, orders, 25)
    return render(request, "recovery/orders.html", {
        "page": page, "query": query, "status": status, "statuses": OrderStatus.choices,
        "totals": totals(orders), "can_raise": is_acting_official(request.user),
    })  # fmt: skip


def _order(request: HttpRequest, pk: int):
    return get_object_or_404(orders_visible_to(request.user), pk=pk)


@login_required
@require_GET
def order_page(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    member = is_member(request.user, order.enterprise_id)
    return render(request, "recovery/order.html", {
        "order": order,
        "offsets": order.offsets.select_related("claim__policy"),
        "collections": order.collections.all(),
        "can_act": member and order.status == OrderStatus.RAISED,
        "can_waive": is_acting_official(request.user)
        and order.status in (OrderStatus.RAISED, OrderStatus.PAUSED),
    })  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def repay(request: HttpRequest, pk: int) -> HttpResponse:
    """Pay now: GET asks for confirmation, POST asks the treasury to collect."""
    order = _order(request, pk)
    if not is_member(request.user, order.enterprise_id):
        raise PermissionDenied(_("Only the enterprise's own members may repay."))
    if request.method == "POST":
        try:
            request_repayment(order.pk, actor=request.user)
        except ServiceError as refusal:
            show_on_page(request, refusal)
        else:
            messages.success(request, _("The repayment has been sent to the treasury."))
        return redirect("recovery:order", pk=order.pk)
    return render(request, "recovery/repay.html", {"order": order})


@login_required
@require_http_methods(["GET", "POST"])
def appeal_order(request: HttpRequest, pk: int) -> HttpResponse:
    """Appeal through the direct line: the order is paused until the answer."""
    order = _order(request, pk)
    if not is_member(request.user, order.enterprise_id):
        raise PermissionDenied(_("Only the enterprise's own members may appeal."))
    form = AppealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            appeal(order.pk, actor=request.user, text=form.cleaned_data["text"])
        except ServiceError as refusal:
            show_on_page(request, refusal, form)
        else:
            messages.success(request, _("Your appeal has been sent; the order is paused."))
            return redirect("recovery:order", pk=order.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "recovery/appeal.html", {"order": order, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def waive_order(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    if not is_acting_official(request.user):
        raise PermissionDenied(_("Only officials waive recovery orders."))
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            waive(order.pk, actor=request.user, reason=form.cleaned_data["reason"])
        except ServiceError as refusal:
            show_on_page(request, refusal, form)
        else:
            messages.success(request, _("The recovery order has been waived."))
            return redirect("recovery:order", pk=order.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "recovery/waive.html", {"order": order, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def raise_order(request: HttpRequest) -> HttpResponse:
    if not is_acting_official(request.user):
        raise PermissionDenied(_("Only officials raise recovery orders."))
    form = RaiseForm(request.POST or None, initial={"claim": request.GET.get("claim", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = raise_by_official(data["claim"], actor=request.user, amount=data["amount"],
                                      reason=data["reason"])  # fmt: skip
        except ServiceError as refusal:
            show_on_page(request, refusal, form)
        else:
            messages.success(request, _("The recovery order has been raised and the "
                                        "enterprise told."))  # fmt: skip
            return redirect("recovery:order", pk=order.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "recovery/raise.html", {"form": form}, status=status)
