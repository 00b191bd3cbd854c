"""DRF pieces for partner clients: authentication that also enforces scope and rate on
every API view (whatever permission classes a view declares), the permission class that
says the same for views using the defaults, and the per-client throttle."""

import hashlib
import time
from typing import Any

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.models import get_access_token_model
from rest_framework import exceptions
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from qinqing.cache import count as counted

from .models import PartnerClient
from .scopes import check_scope


def partner_of(request: Request) -> PartnerClient | None:
    """The partner client behind this request, or None for people (session, API token)."""
    return getattr(request.auth, "partner", None) if request.auth is not None else None


def _public(view: Any) -> bool:
    """Views open to anyone that declare no scope (the OpenAPI schema and its docs page)."""
    if view is None or hasattr(view, "scope_resource"):
        return False
    permissions = view.get_permissions()
    return bool(permissions) and all(isinstance(p, AllowAny) for p in permissions)


class PartnerRateThrottle(SimpleRateThrottle):
    """Requests per minute per client (PartnerClient.rate_per_minute), counted in the
    default cache: Redis in production, so every web process shares one count.

    A fixed one-minute window counted with the cache's atomic increment, instead of
    SimpleRateThrottle's read-modify-write history list, which lets concurrent requests
    in different processes all pass.
    """

    cache = cache
    cache_format = "throttle_partner_%(ident)s_%(window)s"
    duration = 60

    def __init__(self) -> None:  # the rate is the client's own, not THROTTLE_RATES'
        self.num_requests = 0
        self.window_end = 0.0

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        partner = partner_of(request)
        if partner is None:
            return None
        window = int(self.timer() // self.duration)
        self.window_end = (window + 1) * self.duration
        return self.cache_format % {"ident": partner.application.client_id, "window": window}

    def allow_request(self, request: Request, view: Any) -> bool:
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.num_requests = partner_of(request).rate_per_minute
        # One round trip on Redis; a cache that cannot count lets the request through.
        count = counted(self.cache, key, self.duration + 5) or 1
        return count <= self.num_requests

    def wait(self) -> float:
        return max(1.0, self.window_end - self.timer())

    timer = staticmethod(time.time)


class PartnerOAuth2Authentication(OAuth2Authentication):
    """Bearer tokens of partner clients. Checks the rate and the view's scope here, once
    per request, so a view that sets its own permission_classes cannot skip them."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        # No bearer token, nothing to do: people's requests skip OAuthLib entirely (it
        # builds the absolute URI, which needs a valid Host even for schema generation).
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header[:7].lower() != "bearer ":
            return None
        result = super().authenticate(request)
        if result is None:
            # A bearer token was sent and is not valid: say why (expired, unknown), instead
            # of DRF's "credentials were not provided".
            error = (
                getattr(request, "oauth2_error", None)
                or getattr(request._request, "oauth2_error", None)
                or {}
            )
            if "expired" in str(error.get("error_description", "")) or _expired(header[7:]):
                raise exceptions.AuthenticationFailed(_("The access token has expired."))
            raise exceptions.AuthenticationFailed(_("The access token is invalid."))
        user, token = result
        view = (request.parser_context or {}).get("view")
        if _public(view):
            return None  # the token is irrelevant: the client calls it as anyone would
        throttle = PartnerRateThrottle()
        request.auth = token  # for partner_of() in the throttle
        if not throttle.allow_request(request, view):
            raise exceptions.Throttled(wait=throttle.wait())
        check_scope(view, request.method, token.granted_scopes)
        return user, token


class HasPartnerScope(BasePermission):
    """Partner clients need the view's scope (`<resource>:read` or `:write`); people are
    unaffected. The authentication above already enforces it for every view; this class
    keeps the rule visible where DRF looks for permissions."""

    def has_permission(self, request: Request, view: Any) -> bool:
        partner = partner_of(request)
        if partner is None:
            return True
        check_scope(view, request.method, request.auth.granted_scopes)
        return True


def _expired(raw_token: str) -> bool:
    """A token we issued whose time is up. The toolkit's message says so only in English
    (its wording is translated into the reader's language), so the token itself is asked,
    found by the checksum the toolkit looks tokens up by."""
    checksum = hashlib.sha256(raw_token.strip().encode("utf-8")).hexdigest()
    token = get_access_token_model().objects.filter(token_checksum=checksum).first()
    return token is not None and token.is_expired()
