"""Officials' dashboard pages and the export of any one figure."""

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from qinqing.exports import FORMATS, export_response

from .forms import FilterForm
from .refresh import fresh_refresh
from .scope import Scope, scope_of
from .selectors import pages
from .selectors.board import Board


def _board(request: HttpRequest) -> tuple[FilterForm, Board | None, Scope]:
    """The filter form and, when it is valid, the board its filters describe."""
    scope = scope_of(request.user)
    if scope is None:
        raise PermissionDenied
    today = timezone.localdate()
    form = FilterForm(request.GET, scope=scope, today=today)
    if not form.is_valid():
        return form, None, scope
    return form, Board(form.filters(), scope, today), scope


def _page(request: HttpRequest, sections: Callable, current: str) -> HttpResponse:
    form, board, scope = _board(request)
    refresh = fresh_refresh()
    shown = []
    if board is not None:
        shown = pages.remembered(board, refresh, current, lambda: sections(board))
    context = {
        "form": form,
        "current": current,
        "section_links": [(key, title) for key, (title, _keys) in pages.SECTIONS.items()],
        "sections": shown,
        "refresh": refresh,
        "scope": scope,
        "query": request.GET.urlencode(),
    }
    status = 200 if board is not None else 400
    return render(request, "dashboards/page.html", context, status=status)


@require_safe
@login_required
def overview(request: HttpRequest) -> HttpResponse:
    return _page(request, pages.overview, "overview")


@require_safe
@login_required
def section(request: HttpRequest, key: str) -> HttpResponse:
    if key not in pages.SECTIONS:
        raise Http404
    return _page(request, lambda board: [pages.section(board, key)], key)


@require_safe
@login_required
def export(request: HttpRequest, key: str, export_format: str) -> HttpResponse:
    """Exactly the rows the figure shows, with the same filters."""
    if key not in pages.FIGURES or export_format not in FORMATS:
        raise Http404
    form, board, _scope = _board(request)
    if board is None:
        return render(
            request,
            "dashboards/page.html",
            {"form": form, "sections": [], "current": "", "section_links": []},
            status=400,
        )
    figure = pages.figure(board, key)
    header, rows = figure.table()
    stamp = timezone.localdate().isoformat()
    return export_response(export_format, f"{key}-{stamp}", header, rows)
