"""API errors: one JSON shape for every error under /api/, never a 500 for bad input.

    {"code": "<stable code>", "detail": "<a sentence in the user's language>",
     "fields": {"<input name>": ["<message>", ...]}}

`code` is a stable machine word (`invalid`, `not_found`, `conflict`, a service's own code…),
`detail` is for people (in the language of Accept-Language), `fields` appears only when the
error names inputs. Three places answer it, all through `qinqing.api.shape.error_body`:
the DRF exception handler below (serializers, permissions, throttles, parsers and
`qinqing.errors`), the Django error views in `qinqing.api.views` (unknown paths, CSRF
failures, bodies too large, 500s) and, for anything else that still answers an /api/ error
in another shape, `qinqing.api.middleware.ApiErrorShapeMiddleware`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

from qinqing.errors import Invalid, ServiceError

from .shape import error_body

# Bodies over DATA_UPLOAD_MAX_MEMORY_SIZE (or with too many fields or files).
TOO_LARGE = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)
# Keys of a serializer's (or a model's) errors that name no input.
NON_FIELD_KEYS = {api_settings.NON_FIELD_ERRORS_KEY, "__all__", "detail"}
# Django's get_object_or_404 says "No Claim matches the given query.": English, and it
# names a model; the user reads the translated "Not found." instead.
_DJANGO_NOT_FOUND = re.compile(r"^No .+ matches the given query\.$")


class TooLarge(exceptions.APIException):
    status_code = 413
    default_detail = _("The request body is too large.")
    default_code = "too_large"


class ServerError(exceptions.APIException):
    default_code = "server_error"


def _is_message(value: Any) -> bool:
    """A message: text, or a Django form error as get_json_data() gives it."""
    return not isinstance(value, (Mapping, list, tuple)) or (
        isinstance(value, Mapping) and set(value) == {"message", "code"}
    )


def _text(value: Any) -> str:
    return str(value["message"]) if isinstance(value, Mapping) else str(value)


def flatten_fields(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """Nested serializer errors as one level of input paths: `answers.area`, `items[1].name`,
    `tags[0]`, so a client finds every message beside the input it names."""
    if _is_message(errors):
        return {prefix: [_text(errors)]} if errors not in (None, "") else {}
    if isinstance(errors, (list, tuple)) and all(_is_message(item) for item in errors):
        return {prefix: [_text(item) for item in errors]} if errors else {}
    flat: dict[str, list[str]] = {}
    items = errors.items() if isinstance(errors, Mapping) else enumerate(errors)
    for key, value in items:
        if isinstance(key, int):
            name = f"{prefix}[{key}]"
        else:
            name = f"{prefix}.{key}" if prefix else str(key)
        for path, messages in flatten_fields(value, name).items():
            flat.setdefault(path, []).extend(messages)
    return flat


def validation_body(detail: Any, default: Any = None) -> dict[str, Any]:
    """A validation error: `invalid`, the message that names no input (or a general sentence)
    as `detail`, and the messages per input under `fields`."""
    general: list[str] = []
    fields: dict[str, list[str]] = {}
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            target = "" if key in NON_FIELD_KEYS else str(key)
            for path, messages in flatten_fields(value, target).items():
                if path:
                    fields.setdefault(path, []).extend(messages)
                else:
                    general.extend(messages)
    else:
        general.extend(flatten_fields(detail).get("", []))
    text = " ".join(general) if general else (default or Invalid.default_message)
    return error_body("invalid", text, fields)


def _code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def _as_api_exception(exc: Exception) -> Exception:
    """Django's and the services' exceptions as the DRF exception that answers them."""
    if isinstance(exc, Http404):
        message = str(exc.args[0]) if exc.args else ""
        if not message or _DJANGO_NOT_FOUND.match(message):
            return exceptions.NotFound()
        return exceptions.NotFound(message)
    if isinstance(exc, TOO_LARGE):
        return TooLarge()
    if isinstance(exc, SuspiciousOperation):
        return exceptions.ParseError()
    if isinstance(exc, DjangoValidationError):
        # A model's full_clean() in a service: report it like a serializer error.
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return exceptions.ValidationError(detail)
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(*exc.args)
    return exc


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler: every error a view raises, in the one shape."""
    if isinstance(exc, ServiceError):
        # A service's refusal: its status, its code and its message in the user's language.
        set_rollback()
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status)
    exc = _as_api_exception(exc)
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's handler500 answers it (qinqing.api.views.server_error)
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        body = validation_body(exc.detail)
    elif isinstance(exc.detail, (list, dict)):
        body = validation_body(exc.detail, default=str(exc.default_detail))
        body["code"] = exc.default_code
    else:
        body = error_body(_code(exc), exc.detail)
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)


class Conflict(exceptions.APIException):
    """409: the request is well formed, but the present state of things does not allow it
    (a missing data snapshot, a step the object's status does not allow)."""

    status_code = 409
    default_detail = _("The present state does not allow this.")
    default_code = "conflict"


# An answer under /api/ that came in another shape (a Django view's empty 405, an HTML page):
# the code and sentence its status says, from DRF's own (translated) messages.
_BY_STATUS: dict[int, type[exceptions.APIException]] = {
    400: exceptions.ParseError,
    401: exceptions.NotAuthenticated,
    403: exceptions.PermissionDenied,
    404: exceptions.NotFound,
    406: exceptions.NotAcceptable,
    413: TooLarge,
    429: exceptions.Throttled,
}


def status_error(status: int, request: Any = None) -> tuple[str, str]:
    """The code and sentence for an error status when nothing more precise is known."""
    if status == 405:
        error = exceptions.MethodNotAllowed(getattr(request, "method", "") or "?")
        return error.default_code, str(error.detail)
    if status == 415:
        error = exceptions.UnsupportedMediaType(getattr(request, "content_type", "") or "?")
        return error.default_code, str(error.detail)
    kind = _BY_STATUS.get(status)
    if kind is not None:
        return kind.default_code, str(kind.default_detail)
    if status >= 500:
        return ServerError.default_code, str(ServerError.default_detail)
    return "error", str(exceptions.APIException.default_detail)
