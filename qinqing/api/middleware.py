"""The net under the one error shape: whatever answers an error under /api/ in another
shape is answered again in it."""

import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from rest_framework import exceptions

from .exceptions import status_error
from .shape import error_body


class ApiErrorShapeMiddleware:
    """Every error answered under /api/ is JSON in the one shape (qinqing.api.shape).

    DRF's exception handler and the error views (qinqing.api.views) answer it themselves;
    this is the net for whatever else answers an error there: a plain Django view's empty
    405, django-oauth-toolkit's token endpoint (RFC 6749 `{"error": …}`, kept, with `code`
    and `detail` added), another middleware's page. Placed outermost but for the request
    id, so it sees every answer; it negotiates the language itself, as it may run before
    LocaleMiddleware has.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path_info.startswith("/api/")
            or getattr(response, "streaming", False)
            or _browsable(response)
        ):
            return response
        body = _json_object(response)
        if (
            body is not None
            and isinstance(body.get("code"), str)
            and isinstance(body.get("detail"), str)
        ):
            return response
        language = translation.get_language_from_request(request)
        with translation.override(language):
            code, detail = status_error(response.status_code, request)
            if body is not None and isinstance(body.get("error"), str):  # OAuth 2 (RFC 6749)
                reshaped = {**body, "code": body["error"]}
                if body["error"] == "invalid_client":  # a wrong secret, not a missing one
                    detail = str(exceptions.AuthenticationFailed.default_detail)
                reshaped["detail"] = str(body.get("error_description") or detail)
            elif body is not None and isinstance(body.get("detail"), str):
                reshaped = error_body(code, body["detail"])
            else:
                reshaped = error_body(code, detail)
        # The same response, so every header the other middleware set (security, CSP,
        # Allow, Retry-After, WWW-Authenticate, cookies) stays; only the body changes.
        response.content = json.dumps(reshaped, ensure_ascii=False).encode()
        response["Content-Type"] = "application/json"
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        response.headers.setdefault("Content-Language", language)
        return response


def _browsable(response: HttpResponse) -> bool:
    """DRF's browsable API, asked for by a browser: the same error, shown as a page."""
    renderer = getattr(response, "accepted_renderer", None)
    return renderer is not None and getattr(renderer, "format", "") == "api"


def _json_object(response: HttpResponse) -> dict | None:
    if not response.get("Content-Type", "").startswith("application/json"):
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
