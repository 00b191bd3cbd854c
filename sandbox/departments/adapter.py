"""The simulated departments behind the hub's one adapter interface
(datahub.adapters.DepartmentAdapter), registered like a real department's adapter
(receivers.py): transport "inprocess" answers in this process; over "http" the hub's own
HTTP adapter calls this app's mock interfaces (views.py) at settings.HUB_HTTP_BASE_URL.
Either way, bulk extracts come from the vectorised simulation, in process."""

import json

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from datahub.adapters import (
    DepartmentLink,
    DepartmentNotFound,
    DepartmentTimeout,
    DepartmentUnavailable,
    ExtractRequest,
    InterfaceRequest,
    InterfaceResponse,
)

from . import behaviour
from .simulation import RegisterColumns, simulate

TRANSPORT = "inprocess"


class SimulatedAdapter:
    """Asks the simulated department in this process."""

    transport = TRANSPORT
    label = gettext_lazy("Simulated department")

    def __init__(self, link: DepartmentLink) -> None:
        self.department = link.department

    def prepare(self) -> None:
        behaviour.behaviour(self.department)  # read here, so worker threads hit the cache

    def fetch(self, request: InterfaceRequest) -> InterfaceResponse:
        try:
            payload = behaviour.answer(
                department=request.department,
                interface=request.interface,
                register=request.register,
                wire_fields=request.wire_fields,
                as_of=request.as_of,
                deadline_seconds=request.timeout,
                local_payload=request.local_payload,
            )
        except behaviour.SimulatedTimeout as error:
            raise DepartmentTimeout(str(error)) from error
        except behaviour.SimulatedUnavailable as error:
            raise DepartmentUnavailable(str(error)) from error
        except behaviour.SimulatedNotFound as error:
            raise DepartmentNotFound(str(error)) from error
        raw = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        return InterfaceResponse(payload=payload, raw=raw)

    def extract(self, request: ExtractRequest) -> dict[str, np.ndarray]:
        """The whole register at once: the same computation as a single answer."""
        register = RegisterColumns.from_rows(request.register)
        return simulate(register, request.fact_names, request.as_of)

    def describe(self) -> str:
        latency = behaviour.behaviour(self.department).latency_ms
        return _("typical latency %(ms)s ms") % {"ms": latency}


def link(department: str) -> DepartmentLink | None:
    """How the hub reaches a simulated department now (read at each call: tests and
    benchmarks move HUB_HTTP_BASE_URL), or None when the simulation does not serve it."""
    if department not in behaviour.simulated_departments():
        return None
    return DepartmentLink(
        department=department,
        transport=settings.HUB_TRANSPORT,
        url=f"{settings.HUB_HTTP_BASE_URL.rstrip('/')}/mock/departments/{department}",
        headers=(("X-Hub-Key", settings.HUB_MOCK_KEY),),
        bulk=TRANSPORT,
    )
