"""The simulated departments' HTTP interfaces, served by the portal under /mock/departments/.

They stand in for the departments' own servers so the hub's HTTP adapter is exercised for
real: real sockets, real timeouts, real status codes, the wire protocol a real department
answers (datahub.adapters.HttpAdapter). Mounted only with the sandbox (sandbox/urls.py);
HUB_MOCK_DEPARTMENTS_ENABLED=false turns them off even then.
"""

import json
from datetime import date

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_GET

from datahub import providers
from datahub.adapters import RegisterEntry
from enterprises.models import Enterprise

from . import behaviour

MAX_DEADLINE_SECONDS = 30.0
# Interfaces are named after their department: tax.* belongs to taxation, and so on.
_INTERFACE_PREFIX = {"taxation": "tax.", "hrss": "hrss.", "housing": "housing.",
                     "market": "market.", "planning": "planning.", "ndrc": "credit."}  # fmt: skip


@require_GET
def department_interface(request: HttpRequest, department: str, interface: str) -> HttpResponse:
    if not settings.HUB_MOCK_DEPARTMENTS_ENABLED:
        raise Http404
    if not constant_time_compare(request.headers.get("X-Hub-Key", ""), settings.HUB_MOCK_KEY):
        return JsonResponse({"error": "this interface answers the data hub only"}, status=403)
    enterprise = Enterprise.objects.filter(uscc=request.GET.get("uscc", "")).first()
    if enterprise is None:
        return JsonResponse({"error": "no such enterprise"}, status=404)
    try:
        deadline = min(float(request.headers.get("X-Deadline-Seconds", "5")), MAX_DEADLINE_SECONDS)
        as_of = date.fromisoformat(request.GET.get("as_of", ""))
        if not deadline >= 0:  # also refuses NaN
            raise ValueError
    except ValueError:
        return JsonResponse({"error": "bad deadline or as_of"}, status=400)
    if not interface.startswith(_INTERFACE_PREFIX.get(department, "-")):
        return JsonResponse({"error": "no such interface at this department"}, status=404)
    fields = [field for field in request.GET.get("fields", "").split(",") if field]
    try:
        local_payload = providers.prepare(interface, enterprise.uscc, fields, as_of)
    except providers.NoLocalRecord:
        local_payload = {}
    try:
        payload = behaviour.answer(
            department=department, interface=interface, register=RegisterEntry.of(enterprise),
            wire_fields=fields, as_of=as_of, deadline_seconds=deadline + 0.5,
            local_payload=local_payload,
        )  # fmt: skip
    except behaviour.SimulatedTimeout:
        return JsonResponse({"error": "timeout"}, status=504)
    except behaviour.SimulatedUnavailable:
        return JsonResponse({"error": "unavailable"}, status=503)
    except behaviour.SimulatedNotFound:
        return JsonResponse({"error": "no such interface or field"}, status=404)
    body = json.dumps({"data": payload}, ensure_ascii=False)
    return HttpResponse(body, content_type="application/json")
