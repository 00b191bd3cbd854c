"""API errors: always a JSON body that says what is wrong, never a 500 for bad input."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from qinqing.errors import ServiceError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ServiceError):
        # A service's refusal: its status, its code and its message in the user's language.
        if exc.fields:
            return Response(exc.fields, status=exc.status)
        return Response({"code": exc.code, "detail": str(exc.message)}, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        # A model's full_clean() in a service: report it like a serializer error.
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    return drf_exception_handler(exc, context)


class Conflict(exceptions.APIException):
    """409: the request is well formed, but the present state of things does not allow it
    (a missing data snapshot, a step the object's status does not allow)."""

    status_code = 409
    default_detail = _("The present state does not allow this.")
    default_code = "conflict"
