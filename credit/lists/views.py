"""The lists page: the red and black lists in the official's area, with their rules."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from qinqing.listing import filtered, paginate
from qinqing.scoping import reads_as_official

from ..filters import EntryFilter
from ..limits import PAGE_SIZE
from .models import ListRule
from .selectors import entries_in_effect, list_entries_visible_to


@login_required
def list_entries(request: HttpRequest) -> HttpResponse:
    """The red and black lists in the official's area, with the rules that fill them."""
    if not reads_as_official(request.user):
        raise PermissionDenied(_("The lists pages are for officials and auditors."))
    filterset, entries = filtered(EntryFilter, request, list_entries_visible_to(request.user))
    page, query = paginate(request, entries, PAGE_SIZE)
    scoped = list_entries_visible_to(request.user)
    in_effect = entries_in_effect().filter(pk__in=scoped.values("pk"))
    context = {
        "page": page, "query": query, "filter": filterset,
        "rules": ListRule.objects.order_by("list_kind", "code"),
        "red_count": in_effect.filter(list_kind="red").count(),
        "black_count": in_effect.filter(list_kind="black").count(),
    }  # fmt: skip
    return render(request, "credit/lists.html", context)
