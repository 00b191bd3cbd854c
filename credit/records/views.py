"""The records pages: the list in the user's scope, and an official's new record."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from enterprises.selectors import enterprises_visible_to
from qinqing.errors import Conflict, Refused, show_on_page
from qinqing.listing import filtered, paginate
from qinqing.scoping import is_acting_official

from ..filters import RecordFilter
from ..forms import RecordForm
from ..limits import PAGE_SIZE
from .selectors import records_visible_to
from .services import add_record


@login_required
def record_list(request: HttpRequest) -> HttpResponse:
    filterset, records = filtered(RecordFilter, request, records_visible_to(request.user))
    page, query = paginate(request, records, PAGE_SIZE)
    return render(request, "credit/records.html",
                  {"page": page, "query": query, "filter": filterset})  # fmt: skip


@login_required
def record_new(request: HttpRequest) -> HttpResponse:
    """An official records a penalty, finding or reward for their own department."""
    if not is_acting_official(request.user):
        raise PermissionDenied(_("Only department officials add credit records."))
    form = RecordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        enterprise = enterprises_visible_to(request.user).filter(uscc=data["uscc"]).first()
        if enterprise is None:
            form.add_error("uscc", _("No enterprise with this code is within your access."))
        else:
            try:
                record = add_record(
                    enterprise=enterprise, kind=data["kind"], severity=data["severity"],
                    title=data["title"], detail=data["detail"], legal_basis=data["legal_basis"],
                    reference=data["reference"], occurred_on=data["occurred_on"],
                    publicity_months=data["publicity_months"], actor=request.user,
                )  # fmt: skip
            except (Refused, Conflict) as error:
                show_on_page(request, error, form)
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Recorded: %(record)s.") % {"record": record.title})
                return redirect("credit:enterprise", uscc=enterprise.uscc)
    return render(request, "credit/record_form.html", {"form": form})
