"""How the hub reaches a department: one interface (`DepartmentAdapter`), one adapter per
department, chosen by configuration. The hub never knows whether a department is real or
simulated; nothing here imports the sandbox.

Which adapter serves a department (`adapter_for`), in this order:

1. `settings.HUB_DEPARTMENTS[code]`: a department the city connected, e.g. its tax
   bureau over HTTP: `{"url": "https://…/qinqing/v1", "headers": {…}}` (transport "http"
   unless it names another registered one; "bulk" names the transport of its bulk
   extracts, if it has any);
2. a link an installed app registered in `LINKS` for the department (the sandbox
   registers its simulated departments so, reached in process or over HTTP as
   `settings.HUB_TRANSPORT` says);
3. the portal's own tables, for an interface a local provider answers (providers.py);
4. none: the department's facts come back unknown, "no adapter configured"
   (CallOutcome.NO_PROVIDER), through the hub's normal unknown-fact path.

An adapter is made from its link by the factory registered for the link's transport in
`ADAPTERS` ("http" and "local" here; the sandbox adds "inprocess"); a city adds its own
transport the same way, from its app's receivers module.
"""

import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import NamedTuple, Protocol

import httpx
import numpy as np
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from enterprises.models import Enterprise
from qinqing.errors import Unavailable
from qinqing.registry import Registry

from .links import DepartmentLink, configured_link
from .providers import local_provider


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


class RegisterEntry(NamedTuple):
    """What the register says of an enterprise, as the hub hands it to a department. A real
    department needs only the USCC; the simulated ones derive their records from the rest."""

    uscc: str
    size_class: str
    registered_capital: Decimal
    established_on: date
    industry_division: str
    industry_section: str

    @classmethod
    def of(cls, enterprise: Enterprise) -> "RegisterEntry":
        return cls(enterprise.uscc, enterprise.size_class, enterprise.registered_capital,
                   enterprise.established_on, enterprise.industry_division,
                   enterprise.industry_section)  # fmt: skip


@dataclass(frozen=True)
class InterfaceRequest:
    """One interface of one department, for one enterprise."""

    department: str
    interface: str
    uscc: str
    wire_fields: list[str]
    as_of: date
    timeout: float
    register: RegisterEntry | None = None
    # Interfaces the portal serves from its own tables (providers.py): the answer, prepared
    # in the caller's thread. The HTTP adapter ignores it (the department answers itself).
    local_payload: dict | None = None


@dataclass(frozen=True)
class InterfaceResponse:
    payload: dict
    raw: bytes  # exactly what came back, for the call log's hash


@dataclass(frozen=True)
class ExtractRequest:
    """A department's bulk extract: the named facts for every enterprise of the register."""

    department: str
    fact_names: list[str]
    as_of: date
    enterprise_ids: np.ndarray  # int64, ascending
    # Aligned with enterprise_ids: plain tuples in RegisterEntry's order (a million named
    # tuples would cost the extract a second).
    register: Sequence[tuple]


class DepartmentAdapter(Protocol):
    """The one interface between the hub and a department.

    `fetch` answers one interface for one enterprise, within `request.timeout`, with the
    payload as the department writes it ({wire field: raw value}; the hub normalises it),
    or raises a DepartmentError subclass (never anything else on purpose: any other
    exception is logged as the department being unavailable). It runs in a worker thread
    and must not read the database; `prepare()` runs first in the caller's thread for that.

    `extract` (only for an adapter named as a department's bulk transport) answers the
    bulk extract: one numpy column per fact aligned with `request.enterprise_ids`, in the
    hub's units (datahub.columns).
    """

    transport: str  # recorded in the call log
    label: str  # who answers, shown on the interface registry page

    def prepare(self) -> None:
        """Read in the caller's thread what the calls will need (nothing, for most)."""

    def fetch(self, request: InterfaceRequest) -> InterfaceResponse:
        """The department's payload, or a DepartmentError subclass."""

    def describe(self) -> str:
        """Operations detail for officials (e.g. a simulated latency); may be empty."""


class LocalAdapter:
    """Interfaces the portal answers from its own tables (the local providers), when no
    department adapter is configured for them: no network, the answer prepared in the
    caller's thread."""

    transport = "local"
    label = _("The portal's own records")

    def __init__(self, link: DepartmentLink) -> None:
        self.link = link

    def prepare(self) -> None:
        pass

    def fetch(self, request: InterfaceRequest) -> InterfaceResponse:
        payload = request.local_payload
        if not payload or any(field not in payload for field in request.wire_fields):
            raise DepartmentNotFound("no record of this enterprise")
        payload = {field: payload[field] for field in request.wire_fields}
        raw = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        return InterfaceResponse(payload=payload, raw=raw)

    def describe(self) -> str:
        return ""


class HttpAdapter:
    """Calls a department's HTTP interface: real timeouts, bounded retries with jitter.

    The wire protocol (docs/architecture.md, "A real department"): GET
    `{url}/{interface}/?uscc=…&fields=a,b&as_of=YYYY-MM-DD` with the header
    `X-Deadline-Seconds`; 200 `{"data": {field: value}}`, 404 no such enterprise or field,
    502/503/504 retried within the deadline."""

    transport = "http"
    label = _("Over HTTP")
    RETRYABLE_STATUS = {502, 503, 504}

    def __init__(self, link: DepartmentLink) -> None:
        if not link.url:
            raise ValueError(f"department {link.department!r}: an HTTP link needs a url")
        self.link = link
        self.base_url = link.url.rstrip("/")
        self.headers = dict(link.headers)
        self.client = httpx.Client(limits=httpx.Limits(max_connections=50))

    def prepare(self) -> None:
        pass

    def describe(self) -> str:
        return str(httpx.URL(self.base_url).host)

    def fetch(self, request: InterfaceRequest) -> InterfaceResponse:
        url = f"{self.base_url}/{request.interface}/"
        retries = settings.HUB_HTTP_RETRIES if self.link.retries is None else self.link.retries
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
                    headers={**self.headers, "X-Deadline-Seconds": f"{remaining:.3f}"},
                )  # fmt: skip
            except httpx.TimeoutException as error:
                raise DepartmentTimeout(f"no answer within {request.timeout:.1f} s") from error
            except httpx.TransportError as error:
                if attempt < retries:
                    attempt += 1
                    self._pause(attempt, deadline)
                    continue
                raise DepartmentUnavailable(f"cannot connect: {type(error).__name__}") from error
            if response.status_code in self.RETRYABLE_STATUS and attempt < retries:
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


# Transport name -> the factory of its adapter, made from a department's link. The sandbox
# registers "inprocess" (its simulated departments); a city registers its own transports.
ADAPTERS: Registry[Callable[[DepartmentLink], DepartmentAdapter]] = Registry("department adapter")
ADAPTERS.register(HttpAdapter.transport, HttpAdapter)
ADAPTERS.register(LocalAdapter.transport, LocalAdapter)

# Department code -> its link, read at each call (settings may change under a test): an
# app that serves a department registers here; None means it does not serve it now.
LINKS: Registry[Callable[[], DepartmentLink | None]] = Registry("department link")

# Adapters made, one per transport and link: an HTTP adapter keeps its connection pool.
_adapters: dict[tuple[str, DepartmentLink], DepartmentAdapter] = {}


def link_for(department: str, transport: str | None = None) -> DepartmentLink | None:
    """The department's link: configured in settings, else registered by an app. A
    `transport` asked by the caller (tests, benchmarks) overrides a registered link's."""
    configured = configured_link(department)
    if configured is not None:
        return configured
    registered = LINKS.get(department)
    link = registered() if registered is not None else None
    if link is not None and transport:
        link = replace(link, transport=transport)
    return link


def _made(transport: str, link: DepartmentLink) -> DepartmentAdapter:
    key = (transport, link)
    if key not in _adapters:
        _adapters[key] = ADAPTERS[transport](link)
    return _adapters[key]


def adapter_for(department: str, transport: str | None = None, *,
                interface: str = "") -> DepartmentAdapter | None:  # fmt: skip
    """The adapter serving a department (for `interface`: a local provider's, when nothing
    else is configured), or None: no adapter configured, its facts come back unknown."""
    link = link_for(department, transport)
    if link is None and interface and local_provider(interface) is not None:
        link = DepartmentLink(department=department, transport=LocalAdapter.transport)
    if link is None:
        return None
    return _made(link.transport, link)


def bulk_adapter_for(department: str) -> DepartmentAdapter | None:
    """The adapter of a department's bulk extracts, or None when it offers none."""
    link = link_for(department)
    if link is None or not link.bulk:
        return None
    return _made(link.bulk, link)


def close_adapters() -> None:
    """Close pooled HTTP connections (tests, and processes that are about to fork)."""
    for adapter in _adapters.values():
        client = getattr(adapter, "client", None)
        if client is not None:
            client.close()
    _adapters.clear()
