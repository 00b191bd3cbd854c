"""A refusal of the credit records shown to the person who tried it, in their language
(the services' own refusals are shown by qinqing.errors.show_on_page)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def credit_refusal_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(str(message) for message in error.messages)
    return str(error) or _("You may not do this.")
