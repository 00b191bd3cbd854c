"""OpenAPI: the partner clients' OAuth2 scheme (client credentials, token URL and the
scope list from partners.scopes) and, per operation, the scope it needs."""

from typing import Any

from drf_spectacular.contrib.django_oauth_toolkit import DjangoOAuthToolkitScheme
from rest_framework import exceptions

from .scopes import required_scope


class PartnerOAuth2Scheme(DjangoOAuthToolkitScheme):
    target_class = "partners.drf.PartnerOAuth2Authentication"
    name = "oauth2"

    def get_security_requirement(self, auto_schema: Any) -> dict[str, list[str]] | None:
        try:
            scope = required_scope(auto_schema.view, auto_schema.method)
        except exceptions.PermissionDenied:
            return None  # not open to partner clients: no OAuth2 requirement to show
        return {self.name: [scope] if scope else []}
