"""django-oauth-toolkit wired to partner clients.

Only applications with an active PartnerClient get tokens, only the scopes granted to
that client, and a token always acts as the client's service user, looked up afresh on
every request so that deactivating a client or narrowing its scopes works at once.
"""

import hashlib
from collections import OrderedDict
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _
from oauth2_provider.models import get_access_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes

from .models import PartnerClient
from .scopes import SCOPES


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
        """The token with its application, its client's binding and service user, in one
        statement (the toolkit's own lookup, and then the binding's, were two on every
        partner request). Still read afresh on every request: a client deactivated or a
        scope withdrawn stops working at once."""
        checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
        return (
            get_access_token_model()
            .objects.select_related(
                "application", "user", "application__partner_client__service_user"
            )
            .filter(token_checksum=checksum)
            .first()
        )

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
