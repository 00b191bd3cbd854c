"""Pages: the officials' call log, an enterprise's "who read our data", the interface
registry."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from departments.models import Department
from enterprises.selectors import enterprises_visible_to
from qinqing.exports import FORMATS, export_response
from qinqing.listing import filtered, paginate
from qinqing.scoping import reads_as_official

from . import circuit
from .adapters import adapter_for
from .catalogue import interfaces
from .filters import DataCallFilter
from .selectors import (
    CappedCount,
    data_calls_visible_to,
    department_stats,
    latest_refreshes,
    reads_of_enterprise,
    with_purposes,
)

PAGE_SIZE = 50
EXPORT_LIMIT = 10_000


@login_required
def call_log(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not reads_as_official(user):
        raise PermissionDenied(_("The call log is for officials and auditors."))
    scoped = data_calls_visible_to(user)
    filterset, calls = filtered(DataCallFilter, request, scoped)
    export_format = request.GET.get("export")
    if export_format in FORMATS:
        return _export(calls[:EXPORT_LIMIT], export_format)
    page, query = paginate(request, CappedCount(calls), PAGE_SIZE)
    page.object_list = with_purposes(page.object_list)
    context = {
        "more": page.paginator.object_list.more,
        "count_limit": page.paginator.object_list.limit,
        "filter": filterset,
        "page": page,
        "query": query,
        "stats": department_stats(scoped),
        "show_ms": True,
    }
    return render(request, "hub/call_log.html", context)


def _export(calls, export_format: str) -> HttpResponse:
    header = ["started_at", "department", "interface", "uscc", "facts", "purpose",
              "requested_by", "transport", "outcome", "latency_ms", "response_hash"]  # fmt: skip
    rows = (
        [call.started_at, call.department.code, call.interface,
         call.enterprise.uscc if call.enterprise else "", " ".join(call.fact_names),
         call.purpose, call.requested_by_label, call.transport, call.outcome,
         call.latency_ms, call.response_hash]
        for call in calls
    )  # fmt: skip
    return export_response(export_format, "data-calls", header, rows)


@login_required
def enterprise_data_access(request: HttpRequest, uscc: str) -> HttpResponse:
    """Who read this enterprise's data, when and why: the enterprise's own view."""
    enterprise = get_object_or_404(enterprises_visible_to(request.user), uscc=uscc.upper())
    if not (request.user.is_enterprise_member or request.user.sees_everything):
        raise PermissionDenied(_("This page is for the enterprise itself and for auditors."))
    calls, on_behalf = reads_of_enterprise(request.user, enterprise)
    page, _query = paginate(request, calls, PAGE_SIZE)
    page.object_list = with_purposes(page.object_list, on_behalf)
    # Milliseconds are the operations' business, not the enterprise's.
    context = {"enterprise": enterprise, "page": page,
               "show_ms": reads_as_official(request.user)}  # fmt: skip
    return render(request, "hub/data_access.html", context)


@login_required
def interface_registry(request: HttpRequest) -> HttpResponse:
    refreshes = latest_refreshes()
    # Failure rates and circuit states are operations detail, for officials and auditors.
    internals = reads_as_official(request.user)
    departments = Department.objects.in_bulk(field_name="code")
    registry = []
    for interface, specs in sorted(interfaces().items()):
        department = specs[0].department
        adapter = adapter_for(department, interface=interface)
        registry.append({
            "interface": interface,
            "department": departments.get(department),
            "specs": specs,
            "adapter": adapter,
            "breaker": circuit.state(department) if internals and adapter else None,
            "detail": adapter.describe() if internals and adapter else "",
            "refresh": refreshes.get(department),
        })  # fmt: skip
    return render(request, "hub/interfaces.html", {"registry": registry})
