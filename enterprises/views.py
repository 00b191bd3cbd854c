from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from qinqing.listing import filtered, paginate

from .filters import EnterpriseFilter
from .forms import ContactDetailsForm
from .models import Enterprise
from .selectors import can_edit_enterprise, enterprises_visible_to
from .services import update_contact_details

PAGE_SIZE = 25


def _visible_enterprise(request: HttpRequest, uscc: str) -> Enterprise:
    """404 for anything outside the user's scope: the page does not confirm it exists."""
    return get_object_or_404(enterprises_visible_to(request.user), uscc=uscc.upper())


@login_required
def enterprise_list(request: HttpRequest) -> HttpResponse:
    filterset, enterprises = filtered(
        EnterpriseFilter, request, enterprises_visible_to(request.user)
    )
    page, query = paginate(request, enterprises.order_by("name", "id"), PAGE_SIZE)
    context = {"filter": filterset, "page": page, "query": query}
    # htmx asks for the results only when the filters change; a history restore (back
    # button after the cache expired) wants the whole page.
    partial = request.htmx and not request.htmx.history_restore_request
    template = "enterprises/_results.html" if partial else "enterprises/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def enterprise_detail(request: HttpRequest, uscc: str) -> HttpResponse:
    enterprise = _visible_enterprise(request, uscc)
    context = {
        "enterprise": enterprise,
        "can_edit": can_edit_enterprise(request.user, enterprise),
        "memberships": enterprise.memberships.select_related("user").order_by("role", "id"),
    }
    return render(request, "enterprises/detail.html", context)


@login_required
def enterprise_contact_edit(request: HttpRequest, uscc: str) -> HttpResponse:
    enterprise = _visible_enterprise(request, uscc)
    if not can_edit_enterprise(request.user, enterprise):
        raise PermissionDenied(_("Only the enterprise's own members may change these details."))
    if request.method == "POST":
        form = ContactDetailsForm(request.POST)
        if form.is_valid():
            try:
                update_contact_details(
                    enterprise=enterprise, details=form.details, actor=request.user
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The contact and bank details have been saved."))
                return redirect("enterprises:detail", uscc=enterprise.uscc)
    else:
        form = ContactDetailsForm(
            initial={"contact_phone": enterprise.contact_phone, "bank_name": enterprise.bank_name}
        )
    return render(
        request, "enterprises/contact_form.html", {"enterprise": enterprise, "form": form}
    )
