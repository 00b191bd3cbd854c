"""A refused action shown to the person who tried it, as a message in their language (the
services and credit records translate)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from ..services.refusals import (
    ApprovalConflict,
    ApprovalRefused,
)


def show_refusal(request: HttpRequest, error: ApprovalRefused) -> None:
    """A refused action as a message in the reader's language (the services translate)."""
    if isinstance(error, ApprovalConflict):
        messages.warning(request, str(error))
    else:
        messages.error(request, str(error))


def credit_refusal_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(str(message) for message in error.messages)
    return str(error) or _("You may not do this.")
