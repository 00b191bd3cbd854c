"""Session authentication whose CSRF refusal answers in the one error shape, in the user's
language (DRF's says "CSRF Failed: …" in English, under the code of any other 403).

Nothing here imports rest_framework.views: DRF imports this module while loading it."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular import authentication as spectacular_auth
from rest_framework import authentication, exceptions
from rest_framework.request import Request


class CsrfFailed(exceptions.PermissionDenied):
    """A session-authenticated write without a valid CSRF token."""

    default_detail = _("CSRF verification failed. Request aborted.")
    default_code = "csrf_failed"


class SessionAuthentication(authentication.SessionAuthentication):
    def enforce_csrf(self, request: Request) -> None:
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied as error:
            raise CsrfFailed() from error


class SessionScheme(spectacular_auth.SessionScheme):
    """OpenAPI: documented as the session cookie, like DRF's own class."""

    target_class = "qinqing.api.authentication.SessionAuthentication"
