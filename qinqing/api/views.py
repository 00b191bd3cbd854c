"""Django's own error answers (unknown path, CSRF failure, body too large, 500) under /api/
in the one JSON shape (qinqing.api.exceptions); pages keep Django's pages."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import csrf, defaults
from rest_framework import exceptions

from .authentication import CsrfFailed
from .exceptions import TOO_LARGE, ServerError, TooLarge
from .shape import error_response


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def api_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error_response(404, "not_found", _("No API endpoint at this address."))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a session-authenticated write without its token."""
    if is_api(request):
        return error_response(403, CsrfFailed.default_code, CsrfFailed.default_detail)
    return csrf.csrf_failure(request, reason=reason)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: a suspicious request, or a body over DATA_UPLOAD_MAX_MEMORY_SIZE."""
    if is_api(request):
        if isinstance(exception, TOO_LARGE):
            return error_response(413, TooLarge.default_code, TooLarge.default_detail)
        return error_response(400, "bad_request", exceptions.ParseError.default_detail)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler403."""
    if is_api(request):
        message = str(exception.args[0]) if getattr(exception, "args", None) else ""
        return error_response(
            403, "permission_denied", message or exceptions.PermissionDenied.default_detail
        )
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404."""
    if is_api(request):
        return api_not_found(request, exception)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the bug is logged by Django; the client reads a sentence, not a page."""
    if is_api(request):
        return error_response(500, ServerError.default_code, ServerError.default_detail)
    return defaults.server_error(request)
