"""Why an approval action is refused: the exceptions every service raises, and the
check on free text that raises them."""

from __future__ import annotations

from django.utils.translation import gettext as _

MESSAGE_MAX = 2000


class ApprovalRefused(Exception):
    """The action cannot be done: the message says why, for the person asking (400)."""


class NotAllowed(ApprovalRefused):
    """This person may not act on this application or item (403)."""


class ApprovalConflict(ApprovalRefused):
    """The application or item is not in a state that allows this (409)."""


class SheetInvalid(ApprovalRefused):
    """Answers that do not fit the sheet, field by field (400)."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(_("Some answers need correcting."))
        self.errors = errors


def short_text(text: str, *, what: str, required: bool = True) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ApprovalRefused(
            _("Write the %(what)s: the other side will read it.") % {"what": what}
        )
    if len(text) > MESSAGE_MAX:
        raise ApprovalRefused(_("At most %(max)d characters.") % {"max": MESSAGE_MAX})
    return text
