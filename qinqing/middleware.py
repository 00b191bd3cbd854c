"""Request ids: one id per request, in the response, the logs and every audit event; and the
NUL guard on addresses."""

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils import translation
from django.utils.translation import gettext as _

from qinqing.api.shape import error_response

current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "current_request_id", default=""
)
# A caller's id is kept only when it is short and plain, so logs cannot be forged with it.
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _ACCEPTABLE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RejectNulBytesMiddleware:
    """A NUL byte in the address is never legitimate, and PostgreSQL refuses it in text;
    answer 400 up front instead of letting it reach a query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            if request.path_info.startswith("/api/"):
                # Before LocaleMiddleware: the language is negotiated here.
                language = translation.get_language_from_request(request)
                with translation.override(language):
                    answer = error_response(
                        400, "bad_request", _("The address contains a NUL character.")
                    )
                answer["Content-Language"] = language
                return answer
            return HttpResponseBadRequest(
                _("The address contains a NUL character."), content_type="text/plain"
            )
        return self.get_response(request)


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get() or "-"
        return True
