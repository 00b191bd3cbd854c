"""Credit's refusals as REST answers: 400, 403, and 409 for a state that forbids the step."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from rest_framework import exceptions, status

from .errors import CreditRefused, IllegalTransition


class ConflictError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def refusals_as_api_errors(step):
    """Run a service step; its refusals as 400 (409 for a state that forbids it), its
    permission refusals as 403."""
    try:
        return step()
    except DjangoPermissionDenied as error:
        raise exceptions.PermissionDenied(str(error)) from error
    except IllegalTransition as error:
        raise ConflictError(" ".join(error.messages)) from error
    except CreditRefused as error:
        detail = (
            error.message_dict
            if hasattr(error, "error_dict")
            else {"detail": " ".join(error.messages)}
        )
        raise exceptions.ValidationError(detail) from error
