"""The one error vocabulary: what a service refuses, in words for the user.

A service raises one of these; the API answers it as JSON in the documented shape
(`qinqing.api.exceptions`), a page shows it with `show_on_page`. Each class fixes the HTTP
status and a stable machine `code`; the message is a sentence in the user's language.
Apps subclass them to name their own cases (a claim refused, an item already decided) but
never invent another status or shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from django.contrib import messages
from django.utils.translation import gettext_lazy as _


class ServiceError(Exception):
    """A request the service will not carry out, and why."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "refused"
    default_message: ClassVar[Any] = _("This cannot be done.")

    def __init__(
        self,
        message: Any = None,
        *,
        code: str | None = None,
        fields: Mapping[str, Sequence[Any]] | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        if code is not None:
            self.code = code
        # Field name → messages, for a refusal a form or serializer can show beside its input.
        self.fields = {name: [str(m) for m in msgs] for name, msgs in (fields or {}).items()}
        super().__init__(str(self.message))

    def __str__(self) -> str:
        return str(self.message)


class Refused(ServiceError):
    """400: the request, as given, cannot be accepted (a value out of range, a rule broken)."""

    status = 400
    code = "refused"


class Invalid(Refused):
    """400 with the fields at fault: input that fails validation."""

    code = "invalid"
    default_message = _("Some of the information given needs attention.")


class NotAllowed(ServiceError):
    """403: this user may not do this (the object is visible, the action is not theirs)."""

    status = 403
    code = "not_allowed"
    default_message = _("You are not allowed to do this.")


class NotFound(ServiceError):
    """404: nothing of that name within what this user may see."""

    status = 404
    code = "not_found"
    default_message = _("Not found.")


class Conflict(ServiceError):
    """409: well formed, but the present state of things does not allow it."""

    status = 409
    code = "conflict"
    default_message = _("The present state does not allow this.")


class IllegalTransition(Conflict):
    """409: a status change the object's transition table does not allow."""

    code = "illegal_transition"


class Unavailable(ServiceError):
    """503: a service we depend on cannot answer now; trying again later may work."""

    status = 503
    code = "unavailable"
    default_message = _("This service is unavailable for a moment. Please try again shortly.")


def show_on_page(request: Any, error: ServiceError, form: Any = None) -> None:
    """A refusal on a page: beside the form's fields when it names fields the form has, and
    as a message at the top otherwise, so the user always reads why and what to change."""
    shown = False
    if form is not None and error.fields:
        for name, field_messages in error.fields.items():
            target = name if name in form.fields else None
            for message in field_messages:
                form.add_error(target, message)
        shown = True
    if not shown:
        messages.error(request, str(error.message))
