"""Read replicas (issue #25): which reads may go to the streaming standby.

With DATABASE_REPLICA_URL set (qinqing/settings/base.py adds the "replica" alias and this
router) the read-only pages and API list endpoints named in REPLICA_ROUTED read from the
standby: the officials' dashboards and lists, exports, the public catalog and policy pages,
the claim pages and every `*-list` endpoint of the API. Everything else, every write and
every read inside a transaction reads from the primary. Absent the setting, nothing changes.

Read-your-writes, per browser: any write request (POST, PUT, PATCH, DELETE) sets a signed
cookie, and for REPLICA_PIN_SECONDS after it that browser's requests all read from the
primary — so the claim page right after claiming, or an official's item after deciding,
shows what was just written even when the standby is behind. API clients without cookies
get the same by reading an object's detail endpoint (never routed) after writing.

The routing is per request: ReplicaMiddleware decides, a context variable carries the
decision to ReplicaRouter. Tasks, commands and the shell never touch the replica.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable

from django.conf import settings
from django.core import signing
from django.db import connections
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
PIN_COOKIE = "qq_primary"
_PIN_SALT = "qinqing.dbrouting.pin"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Path prefixes whose safe requests read from the standby.
REPLICA_ROUTED = (
    "/dashboards/",
    "/policies/",
    "/claims/",
    "/official/",
    "/data/interfaces/",
    "/api/v1/stats/",
)
# Apps whose tables are always read from the primary: a session or login just written must
# be seen by the very next request, whatever the standby's lag.
PRIMARY_ONLY_APPS = frozenset(
    {"sessions", "auth", "accounts", "axes", "contenttypes", "oauth2_provider", "authtoken"}
)

_use_replica: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "qinqing_use_replica", default=False
)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def pin_seconds() -> int:
    return getattr(settings, "REPLICA_PIN_SECONDS", 10)


def routed_path(request: HttpRequest) -> bool:
    """A read-only page or API list endpoint the standby may serve."""
    if request.method not in SAFE_METHODS:
        return False
    path = request.path_info
    if path.startswith(REPLICA_ROUTED):
        return True
    match = request.resolver_match
    return path.startswith("/api/") and match is not None and match.url_name.endswith("-list")


def pinned_to_primary(request: HttpRequest) -> bool:
    """This browser wrote within the last REPLICA_PIN_SECONDS."""
    try:
        request.get_signed_cookie(PIN_COOKIE, salt=_PIN_SALT, max_age=pin_seconds())
    except (KeyError, signing.BadSignature):
        return False
    return True


def reading_from_replica() -> bool:
    """Whether reads of the current request go to the standby (tests, logs)."""
    return _use_replica.get()


class ReplicaMiddleware:
    """Decides per request whether its reads may go to the standby; marks writers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.get_response(request)
        finally:
            token = getattr(request, "_replica_token", None)
            if token is not None:
                _use_replica.reset(token)
        if replica_configured() and request.method not in SAFE_METHODS:
            response.set_signed_cookie(
                PIN_COOKIE, "1", salt=_PIN_SALT, max_age=pin_seconds(), httponly=True,
                secure=settings.SESSION_COOKIE_SECURE, samesite="Lax",
            )  # fmt: skip
        return response

    def process_view(self, request: HttpRequest, view, args, kwargs) -> None:
        # After URL resolution, so the API's list endpoints are known by name.
        if replica_configured() and routed_path(request) and not pinned_to_primary(request):
            request._replica_token = _use_replica.set(True)  # type: ignore[attr-defined]


class ReplicaRouter:
    """Reads of a routed request go to the standby; all else to the primary."""

    def db_for_read(self, model, **hints) -> str | None:
        if not _use_replica.get() or model._meta.app_label in PRIMARY_ONLY_APPS:
            return None
        # A read inside a transaction belongs to that transaction (select, then write).
        if connections["default"].in_atomic_block:
            return None
        return REPLICA

    def db_for_write(self, model, **hints) -> str:
        return "default"

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # one database, two copies of it

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == "default"
