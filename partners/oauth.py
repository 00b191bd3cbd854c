"""django-oauth-toolkit wired to partner clients.

Only applications with an active PartnerClient get tokens, only the scopes granted to
that client, and a token always acts as the client's service user, so that deactivating a
client or narrowing its scopes works at once.

A verified token, with its client and service user, is kept briefly in the shared cache
(Redis), keyed by the checksum the toolkit looks tokens up by (issue #24: its lookup was
half of the web's CPU on a partner's poll). What makes it stale forgets it at once
(partners/receivers.py: a token revoked or saved, its client, application or service
user changed); expiry is checked on every request from the token's own `expires`.
"""

import hashlib
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.models import get_access_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes

from .models import PartnerClient
from .scopes import SCOPES

# Never kept in the cache: the bearer token in clear, the client's secret, passwords.
# Deferred, so that code reading one still gets it (from the database).
_NOT_CACHED = ("token", "application__client_secret", "user__password",
               "application__partner_client__service_user__password")  # fmt: skip


def token_cache_seconds() -> int:
    """0 unless the cache is one every process shares (Redis): a process-local cache
    could not be told by another process (the back office, a command) that a token was
    revoked."""
    # At most this long (0: never); a backstop only: every change that makes an entry
    # stale forgets it at once.
    seconds = settings.PARTNER_TOKEN_CACHE_SECONDS
    if not seconds or isinstance(caches["default"], (LocMemCache, DummyCache)):
        return 0
    return seconds


def _token_key(checksum: str) -> str:
    return f"partner-token:{checksum}"


def forget_tokens(checksums: Iterable[str]) -> None:
    """Drop these tokens' cached verification now and again when the transaction that
    changed them commits (a request reading the row before the commit may have cached
    it meanwhile)."""
    keys = [_token_key(checksum) for checksum in checksums if checksum]
    if not keys:
        return
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def _partner_of(application: Any) -> PartnerClient | None:
    if application is None:
        return None
    try:
        return PartnerClient.objects.select_related("service_user", "application").get(
            application_id=application.pk
        )
    except PartnerClient.DoesNotExist:
        return None


def _bound_partner(application: Any) -> PartnerClient | None:
    """The partner loaded with the token (PartnerOAuth2Validator._load_access_token), or
    looked up when it was not."""
    if application is None:
        return None
    try:
        return application.partner_client
    except ObjectDoesNotExist:
        return None


def _usable(partner: PartnerClient | None) -> bool:
    return partner is not None and partner.is_active and partner.service_user.is_active


class PartnerScopes(BaseScopes):
    """All scopes come from partners.scopes; a client may ask for those it was granted."""

    def get_all_scopes(self) -> dict[str, str]:
        return dict(SCOPES)

    def get_available_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        partner = _partner_of(application)
        if not _usable(partner):
            return []
        return [scope for scope in partner.scopes if scope in SCOPES]

    def get_default_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        # A token request without `scope` gets everything the client was granted.
        return self.get_available_scopes(application, request)


class PartnerOAuth2Validator(OAuth2Validator):
    def _load_application(self, client_id: str, request: Any) -> Any:
        """An application without an active partner binding is no client at all."""
        application = super()._load_application(client_id, request)
        if application is not None and not _usable(_partner_of(application)):
            request.client = None
            return None
        return application

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        # DOT leaves client-credentials tokens without a user; record the service user so
        # the back office's token list says who the token acts as.
        if request.grant_type == "client_credentials" and request.client is not None:
            partner = _partner_of(request.client)
            request.user = partner.service_user if partner else None
        return super()._create_access_token(expires, request, token, source_refresh_token)

    def _load_access_token(self, token: str) -> Any:
        """The token with its application, its client's binding and service user: from
        the shared cache, or in one statement (the toolkit's own lookup, and then the
        binding's, were two on every partner request), then cached until it expires or
        token_cache_seconds() pass, whichever comes first. Changes forget it at once
        (partners/receivers.py), so a client deactivated or a scope withdrawn stops
        working at once."""
        checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
        seconds = token_cache_seconds()
        if seconds:
            cached = cache.get(_token_key(checksum))
            if cached is not None:
                return cached
        access_token = (
            get_access_token_model()
            .objects.select_related(
                "application", "user", "application__partner_client__service_user"
            )
            .defer(*_NOT_CACHED)
            .filter(token_checksum=checksum)
            .first()
        )
        if seconds and access_token is not None and access_token.expires is not None:
            left = int((access_token.expires - timezone.now()).total_seconds())
            if left > 0:
                cache.set(_token_key(checksum), access_token, timeout=min(seconds, left))
        return access_token

    def validate_bearer_token(self, token: str, scopes: list[str], request: Any) -> bool:
        if not super().validate_bearer_token(token, scopes, request):
            return False
        access_token = request.access_token
        partner = _bound_partner(access_token.application)
        if not _usable(partner):
            request.oauth2_error = OrderedDict(
                [("error", "invalid_token"), ("error_description", _("This client is inactive."))]
            )
            return False
        # The binding decides who the token acts as, not whatever the token row says.
        request.user = partner.service_user
        # Scopes granted now: a scope withdrawn after the token was issued stops working.
        request.scopes = [scope for scope in access_token.scopes if scope in partner.scopes]
        access_token.partner = partner
        access_token.granted_scopes = set(request.scopes)
        return True
