"""One adapter per department behind one interface. A real department's API replaces a
simulated one by registering another adapter; no caller changes."""

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

import httpx
from django.conf import settings

from qinqing.errors import Unavailable
from qinqing.registry import Registry

from . import departments_sim
from .simulation import RegisterColumns


class DepartmentError(Unavailable):
    """A department did not answer usefully. The hub records it as the call's outcome; a
    user who meets it is told to try again later (503)."""

    outcome = "unavailable"
    code = "department_unavailable"


class DepartmentTimeout(DepartmentError):
    outcome = "timeout"


class DepartmentUnavailable(DepartmentError):
    outcome = "unavailable"


class DepartmentNotFound(DepartmentError):
    outcome = "not_found"


class MalformedResponse(DepartmentError):
    outcome = "malformed"


@dataclass(frozen=True)
class InterfaceRequest:
    department: str
    interface: str
    uscc: str
    wire_fields: list[str]
    as_of: date
    timeout: float
    # Only the simulated departments use this: their "own records" are the register.
    # A real department's adapter sends the USCC and ignores it.
    register_row: RegisterColumns | None = None
    # Interfaces the portal serves from its own tables (providers.py): the answer, prepared
    # in the caller's thread. The HTTP adapter ignores it (the mock interface prepares its
    # own).
    local_payload: dict | None = None


@dataclass(frozen=True)
class InterfaceResponse:
    payload: dict
    raw: bytes  # exactly what came back, for the call log's hash


class DepartmentAdapter(Protocol):
    transport: str

    def fetch(self, request: InterfaceRequest) -> InterfaceResponse:
        """The department's payload, or a DepartmentError subclass."""


class InProcessAdapter:
    """Asks the simulated department in this process (the default)."""

    transport = "inprocess"

    def fetch(self, request: InterfaceRequest) -> InterfaceResponse:
        try:
            payload = departments_sim.answer(
                department=request.department,
                interface=request.interface,
                register_row=request.register_row,
                wire_fields=request.wire_fields,
                as_of=request.as_of,
                deadline_seconds=request.timeout,
                local_payload=request.local_payload,
            )
        except departments_sim.SimulatedTimeout as error:
            raise DepartmentTimeout(str(error)) from error
        except departments_sim.SimulatedUnavailable as error:
            raise DepartmentUnavailable(str(error)) from error
        except departments_sim.SimulatedNotFound as error:
            raise DepartmentNotFound(str(error)) from error
        raw = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        return InterfaceResponse(payload=payload, raw=raw)


class HttpAdapter:
    """Calls a department's HTTP interface: real timeouts, bounded retries with jitter."""

    transport = "http"
    RETRYABLE_STATUS = {502, 503, 504}

    def __init__(self, base_url: str | None = None, retries: int | None = None) -> None:
        self.base_url = (base_url or settings.HUB_HTTP_BASE_URL).rstrip("/")
        self.retries = settings.HUB_HTTP_RETRIES if retries is None else retries
        self.client = httpx.Client(limits=httpx.Limits(max_connections=50))

    def fetch(self, request: InterfaceRequest) -> InterfaceResponse:
        url = f"{self.base_url}/mock/departments/{request.department}/{request.interface}/"
        params = {"uscc": request.uscc, "fields": ",".join(request.wire_fields),
                  "as_of": request.as_of.isoformat()}  # fmt: skip
        deadline = time.monotonic() + request.timeout
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DepartmentTimeout(f"no answer within {request.timeout:.1f} s")
            try:
                response = self.client.get(
                    url, params=params, timeout=remaining,
                    headers={"X-Deadline-Seconds": f"{remaining:.3f}",
                             "X-Hub-Key": settings.HUB_MOCK_KEY},
                )  # fmt: skip
            except httpx.TimeoutException as error:
                raise DepartmentTimeout(f"no answer within {request.timeout:.1f} s") from error
            except httpx.TransportError as error:
                if attempt < self.retries:
                    attempt += 1
                    self._pause(attempt, deadline)
                    continue
                raise DepartmentUnavailable(f"cannot connect: {type(error).__name__}") from error
            if response.status_code in self.RETRYABLE_STATUS and attempt < self.retries:
                attempt += 1
                self._pause(attempt, deadline)
                continue
            return self._interpret(response)

    @staticmethod
    def _pause(attempt: int, deadline: float) -> None:
        """Exponential back-off with full jitter, never past the deadline."""
        pause = random.uniform(0, 0.05 * 2**attempt)
        time.sleep(max(0.0, min(pause, deadline - time.monotonic() - 0.01)))

    @staticmethod
    def _interpret(response: httpx.Response) -> InterfaceResponse:
        if response.status_code == 404:
            raise DepartmentNotFound("the department has no such record")
        if response.status_code == 504:
            raise DepartmentTimeout("the department timed out")
        if response.status_code >= 400:
            raise DepartmentUnavailable(f"the department answered {response.status_code}")
        try:
            payload = json.loads(response.content, parse_float=Decimal)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise MalformedResponse("the answer is not JSON") from error
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
            raise MalformedResponse("the answer has no data object")
        return InterfaceResponse(payload=payload["data"], raw=response.content)


# Transport name (settings.HUB_TRANSPORT) -> a factory of its adapter. A city plugs in a
# real department's transport by registering it here (from its app's ready()).
ADAPTERS: Registry[Callable[[], DepartmentAdapter]] = Registry("department adapter")
ADAPTERS.register(InProcessAdapter.transport, InProcessAdapter)
ADAPTERS.register(HttpAdapter.transport, HttpAdapter)

# Adapters made, one per transport and base URL: an HTTP adapter keeps its connection pool.
_adapters: dict[str, DepartmentAdapter] = {}


def adapter_for(department: str, transport: str | None = None) -> DepartmentAdapter | None:
    """The adapter for a department, or None when nobody provides its data yet."""
    if department not in departments_sim.simulated_departments():
        return None
    transport = transport or settings.HUB_TRANSPORT
    key = f"{transport}:{settings.HUB_HTTP_BASE_URL}"
    if key not in _adapters:
        _adapters[key] = ADAPTERS[transport]()
    return _adapters[key]


def close_adapters() -> None:
    """Close pooled HTTP connections (tests, and processes that are about to fork)."""
    for adapter in _adapters.values():
        client = getattr(adapter, "client", None)
        if client is not None:
            client.close()
    _adapters.clear()
